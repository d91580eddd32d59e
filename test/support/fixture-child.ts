import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface FixtureChildOptions {
  /** The fixture script, run with `node --import tsx`. */
  readonly script: string;
  /** Names the process in errors ("agent", "orchestrator"). */
  readonly what: string;
  /** Runs when the current incarnation exits, however it ended. */
  readonly onExit?: () => void;
}

/**
 * One fixture script as a child process that can be SIGKILLed and started again, one incarnation at a time.
 * The core of the agent and orchestrator process wrappers: spawn with one JSON argument, kill -9, clean stop.
 */
export class FixtureChild {
  kills = 0;
  private child: ChildProcess | undefined;
  private exitedPromise: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FixtureChildOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves when the current (or last) incarnation has exited. */
  get exited(): Promise<unknown> {
    return this.exitedPromise;
  }

  /** Starts the next incarnation with `arg` as its one (JSON) argument; stdout and stderr are piped. */
  spawn(arg: unknown): ChildProcess {
    if (this.child) throw new Error(`${this.options.what} process already running`);
    const child = spawn(process.execPath, ['--import', 'tsx', this.options.script, JSON.stringify(arg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exitedPromise = once(child, 'exit');
    void this.exitedPromise.then(() => {
      if (this.child !== child) return;
      this.child = undefined;
      this.options.onExit?.();
    });
    return child;
  }

  /** SIGKILL and wait for the exit. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exitedPromise;
    this.child = undefined;
    this.kills += 1;
  }

  /** SIGTERM (a clean stop) and wait for the exit; SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.exitedPromise;
    clearTimeout(timer);
    this.child = undefined;
  }
}
