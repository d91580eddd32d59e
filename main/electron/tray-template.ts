import type { MenuItemConstructorOptions } from 'electron';
import type { TrayAction, TrayItem } from './tray-menu.js';

/** TrayItem[] → Electron's menu template; a click names its action and nothing else. Type-only electron import. */
export function menuTemplate(items: readonly TrayItem[], onAction: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    switch (item.kind) {
      case 'status':
        return { id: item.id, label: item.label, enabled: false };
      case 'separator':
        return { id: item.id, type: 'separator' };
      case 'action':
        return { id: item.id, label: item.label, enabled: item.enabled, click: () => onAction(item.action) };
      case 'checkbox':
        return { id: item.id, label: item.label, type: 'checkbox', checked: item.checked, enabled: item.enabled, click: () => onAction(item.action) };
    }
  });
}
