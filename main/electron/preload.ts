// Runs in the sandboxed status window before its page, bundled to CommonJS (sandboxed preloads cannot load
// modules). Exposes only `invoke` and `subscribe`, only for the channels of shared/ipc.ts; the raw ipcRenderer
// and its event objects never reach the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_BRIDGE_KEY, isCommandChannel, isEventChannel, type CommandResult, type IpcBridge } from '../../shared/ipc.js';

const bridge: IpcBridge = {
  invoke(channel, payload) {
    if (!isCommandChannel(channel)) return Promise.resolve({ ok: false, error: `unknown channel '${String(channel)}'` });
    return ipcRenderer.invoke(channel, payload) as Promise<CommandResult<typeof channel>>;
  },
  subscribe(event, listener) {
    if (!isEventChannel(event)) throw new Error(`unknown event '${String(event)}'`);
    const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload as Parameters<typeof listener>[0]);
    ipcRenderer.on(event, forward);
    return () => {
      ipcRenderer.removeListener(event, forward);
    };
  },
};

contextBridge.exposeInMainWorld(IPC_BRIDGE_KEY, bridge);
