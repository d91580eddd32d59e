import { BrowserWindow, type Session } from 'electron';
import { STATUS_PAGE_URL } from './window-policy.js';

export interface StatusWindowOptions {
  /** The bundled (CommonJS) preload script. */
  readonly preload: string;
  readonly session: Session;
  readonly devTools: boolean;
}

/**
 * The one status window. Its webContents id is what IPC trusts: recorded when it is created, forgotten when its
 * contents are destroyed.
 */
export class StatusWindow {
  private window: BrowserWindow | undefined;
  private id: number | undefined;

  constructor(private readonly options: StatusWindowOptions) {}

  trustedId(): number | undefined {
    return this.id;
  }

  contents() {
    return this.window?.webContents;
  }

  show(): void {
    if (this.window && !this.window.isDestroyed()) {
      this.window.show();
      this.window.focus();
      return;
    }
    const win = new BrowserWindow({
      width: 1000,
      height: 720,
      show: false,
      title: 'flowhost',
      autoHideMenuBar: true,
      webPreferences: {
        preload: this.options.preload,
        session: this.options.session,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        experimentalFeatures: false,
        navigateOnDragDrop: false,
        spellcheck: false,
        devTools: this.options.devTools,
      },
    });
    const id = win.webContents.id;
    this.window = win;
    this.id = id;
    win.webContents.once('destroyed', () => {
      if (this.id === id) this.id = undefined;
    });
    win.on('closed', () => {
      if (this.window === win) this.window = undefined;
    });
    win.once('ready-to-show', () => win.show());
    void win.loadURL(STATUS_PAGE_URL);
  }

  close(): void {
    this.window?.destroy();
  }
}
