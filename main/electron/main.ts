// The tray app's entry: wires the parts, does no work itself.
//
// The agent core runs here, in the main process, not in a utility process: it is already plain Node, the tray
// reads its state synchronously (state()/onStateChange) without a second IPC contract, and the risky work
// (flows) already runs in separate process groups, so a flow cannot crash this process. A utility process would
// only isolate the core from the tray icon, which has nothing to show without the core.
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { app, dialog, Notification, session } from 'electron';
import { statusCommands, type StatusCommand, type StatusReply } from '../../shared/status.js';
import { DRAIN_GRACE_MS } from '../agent/drain-grace.js';
import type { StatusProducer } from '../agent/status/status.js';
import { StatusAssets } from '../agent/status/status-assets.js';
import { AGENT_VERSION } from '../agent/agent-from-config.js';
import { bootAgent, type BootedAgent } from './agent-boot.js';
import { runAppCli } from './app-cli.js';
import { appMode, selfCliCommand } from './app-mode.js';
import { localRunNotice, runLocalFlow } from './local-run.js';
import { registerAppScheme, serveStatusPage } from './app-protocol.js';
import { hardenAllContents, hardenSession } from './hardening.js';
import { IpcRouter } from './ipc.js';
import { FailureNotifier } from './notifications.js';
import { safeStorageProtector } from './safe-storage-protector.js';
import { TrayController } from './tray.js';
import { quitPrompt, type TrayAction, type TrayActionHandlers } from './tray-menu.js';
import { trayStateFrom, type TrayState } from './tray-state.js';
import { WINDOW_CSP } from './window-policy.js';
import { StatusWindow } from './window.js';

const HOUR_MS = 3_600_000;

const root = fileURLToPath(new URL('../../', import.meta.url));
/** Set by the launcher (dev-launch.ts) or the packaged build: the bundled CommonJS preload. */
const preload = process.env['FLOWHOST_PRELOAD'] ?? fileURLToPath(new URL('./preload.cjs', import.meta.url));

const mode = appMode(process.argv, app.isPackaged);
/** This app as the `flowhost` CLI (what the installer's service option and the tray's Run… start). */
const selfCli = () => selfCliCommand({ execPath: process.execPath, argv: process.argv, isPackaged: app.isPackaged });

if (mode.kind === 'cli') {
  // No tray, no window, no single-instance lock: a service or a Local run next to the running tray.
  app.dock?.hide();
  app.disableHardwareAcceleration();
  void runAppCli({ args: mode.args, self: selfCli(), version: AGENT_VERSION }).then(
    (code) => app.exit(code),
    (err: unknown) => {
      process.stderr.write(`flowhost: ${err instanceof Error ? err.message : String(err)}\n`);
      app.exit(1);
    },
  );
} else {
  registerAppScheme();
  hardenAllContents(app);
  app.enableSandbox();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
  } else {
    app.dock?.hide(); // macOS: a tray app has no dock icon (the packaged app also sets LSUIElement).
    app.on('window-all-closed', () => undefined); // closing the window leaves the tray running
    void app.whenReady().then(start, fail);
  }
}

function fail(err: unknown): void {
  dialog.showErrorBox('flowhost could not start', err instanceof Error ? err.message : String(err));
  app.exit(1);
}

async function start(): Promise<void> {
  const booted = await bootAgent({ env: process.env, homedir: homedir(), cwd: process.cwd(), protector: safeStorageProtector });
  const ses = session.fromPartition('status-window');
  hardenSession(ses, WINDOW_CSP);
  const assets = new StatusAssets({ root });
  await assets.ensureBuilt();
  serveStatusPage(ses, assets);

  const statusWindow = new StatusWindow({ preload, session: ses, devTools: !app.isPackaged });
  const router = new IpcRouter({ trustedId: () => statusWindow.trustedId(), log: booted.log.logger });
  handleCommands(router, booted.producer);
  const notifier = new FailureNotifier(() => statusWindow.show());
  booted.producer.subscribe((snapshot) => {
    notifier.update(snapshot);
    const contents = statusWindow.contents();
    if (contents && statusWindow.trustedId() !== undefined) router.emit(contents, 'status:changed', snapshot);
  });

  const trayState = (): TrayState => trayStateFrom(booted.agent.state(), { openAtLogin: app.getLoginItemSettings().openAtLogin });
  const tray = new TrayController({ assetsDir: `${root}assets`, onAction: (action) => void onTrayAction(action) }, trayState());
  // Live samples change the agent's state every second; the menu is redrawn only when what it shows changed.
  let shown = JSON.stringify(trayState());
  booted.agent.onStateChange(() => {
    const next = trayState();
    const key = JSON.stringify(next);
    if (key === shown) return;
    shown = key;
    tray.update(next);
  });
  app.on('second-instance', () => statusWindow.show());

  let quitting = false;
  async function quit(drain: boolean): Promise<void> {
    if (quitting) return;
    quitting = true;
    tray.update(trayState());
    await shutdown(booted, drain ? DRAIN_GRACE_MS : undefined);
    router.dispose();
    tray.destroy();
    app.exit(0);
  }

  const { agent } = booted;
  const trayActions: TrayActionHandlers = {
    pause: () => agent.pause(),
    'pause-1h': () => agent.pause(new Date(Date.now() + HOUR_MS)),
    resume: () => agent.resume(),
    'toggle-attended': () => agent.setAttendedMode(!agent.state().attendedMode),
    'toggle-open-at-login': () => {
      app.setLoginItemSettings({ openAtLogin: !app.getLoginItemSettings().openAtLogin });
      tray.update(trayState());
    },
    'open-status-window': () => statusWindow.show(),
    'run-local': () => runFromTray(booted, () => statusWindow.show()),
    'drain-and-quit': () => quit(true),
    quit: async () => {
      const prompt = quitPrompt(trayState());
      if (!prompt) return quit(false);
      const { response } = await dialog.showMessageBox({ type: 'question', message: prompt.message, detail: prompt.detail, buttons: [...prompt.buttons], defaultId: 0, cancelId: 2 });
      if (response === 0) return quit(true);
      if (response === 1) return quit(false);
    },
  };

  async function onTrayAction(action: TrayAction): Promise<void> {
    return trayActions[action]();
  }
}

/** Tray "Run…": a workflow file run Local by this app as `flowhost run` (local-run.ts); the outcome as a notification. */
async function runFromTray(booted: BootedAgent, showWindow: () => void): Promise<void> {
  const { canceled, filePaths } = await dialog.showOpenDialog({
    title: 'Run a workflow on this machine',
    properties: ['openFile'],
    filters: [{ name: 'Workflow (JSON)', extensions: ['json'] }],
  });
  const file = filePaths[0];
  if (canceled || file === undefined) return;
  showWindow(); // the run appears among the running sessions
  try {
    const result = await runLocalFlow({ self: selfCli(), file, dataDir: booted.config.dataDir, env: process.env });
    const notice = localRunNotice(file, result);
    if (Notification.isSupported()) new Notification(notice).show();
    else if (result.code !== 0) dialog.showErrorBox(notice.title, notice.body);
  } catch (err) {
    dialog.showErrorBox('flowhost could not start the run', err instanceof Error ? err.message : String(err));
  }
}

/** Each command of shared/status.ts answered by the status producer (the same one the loopback endpoint serves). */
function handleCommands(router: IpcRouter, producer: StatusProducer): void {
  for (const channel of Object.keys(statusCommands) as StatusCommand[]) {
    // dispatchCommand has validated the request, and validates the reply and words the error of a throw.
    router.handle(channel, (request) => producer.handle(channel, request) as StatusReply<typeof channel>);
  }
}

async function shutdown(booted: BootedAgent, drainGraceMs: number | undefined): Promise<void> {
  try {
    await booted.shutdown(drainGraceMs);
  } catch (err) {
    dialog.showErrorBox('flowhost did not stop cleanly', err instanceof Error ? err.message : String(err));
  }
}
