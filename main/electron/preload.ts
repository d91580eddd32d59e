// Runs in the sandboxed status window before its page, bundled to CommonJS (sandboxed preloads cannot load
// modules). Exposes only `invoke` and `subscribe`, only for the channels of shared/status.ts; the raw ipcRenderer
// and its event objects never reach the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_BRIDGE_KEY, isStatusCommand, isStatusEvent, type StatusResult, type StatusBridge } from '../../shared/status.js';

const bridge: StatusBridge = {
  invoke(channel, payload) {
    if (!isStatusCommand(channel)) return Promise.resolve({ ok: false, error: `unknown channel '${String(channel)}'` });
    return ipcRenderer.invoke(channel, payload) as Promise<StatusResult<typeof channel>>;
  },
  subscribe(event, listener) {
    if (!isStatusEvent(event)) throw new Error(`unknown event '${String(event)}'`);
    const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload as Parameters<typeof listener>[0]);
    ipcRenderer.on(event, forward);
    return () => {
      ipcRenderer.removeListener(event, forward);
    };
  },
};

contextBridge.exposeInMainWorld(IPC_BRIDGE_KEY, bridge);
