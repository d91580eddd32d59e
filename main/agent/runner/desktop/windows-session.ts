import { execFile } from 'node:child_process';
import type { CaptureCommand } from './screenshot.js';

/**
 * Windows: who is signed in at the console, and the command lines that reach the active console session from the
 * agent's service (LocalSystem, session 0). Node has no Win32 binding for WTSQueryUserToken/CreateProcessAsUser, so
 * a small launcher runs in Windows PowerShell (in every Windows since 7) and calls them through Add-Type's P/Invoke,
 * the way WinSW (winsw/winsw, src/WinSW.Core/Native/WtsApis.cs) and murrayju/CreateProcessAsUser do in C#: no native
 * module to build and ship per Electron ABI, no third-party binary, and nothing like PsExec (which installs a service
 * of its own). Its source is fixed text in this file, passed as -EncodedCommand; the flow's command line and
 * variables reach it through its environment, never argv. Pure builders, tested on Linux; the scripts are reviewed.
 */

/** Variables only the launcher reads; it removes them before the flow starts. */
export const LAUNCH_COMMANDLINE_ENV = 'FLOWHOST_LAUNCH_COMMANDLINE';
export const LAUNCH_CWD_ENV = 'FLOWHOST_LAUNCH_CWD';
/** The launcher's exit codes when no flow was started (the flow's own codes pass through). */
export const LAUNCH_NO_CONSOLE_USER = 125;
export const LAUNCH_FAILED = 126;

/** Windows PowerShell 5.1, by its absolute path (a service's PATH is not searched). */
export function powershellPath(env: NodeJS.ProcessEnv): string {
  const root = /^[A-Za-z]:\\[^"\r\n]*$/.test(env['SystemRoot'] ?? '') ? (env['SystemRoot'] as string) : 'C:\\Windows';
  return `${root}\\System32\\WindowsPowerShell\\v1.0\\powershell.exe`;
}

/** PowerShell's -EncodedCommand: the script as base64 of its UTF-16LE bytes. */
export const encodePowerShell = (script: string): string => Buffer.from(script, 'utf16le').toString('base64');

const PS_ARGS = ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand'];

/**
 * One argument quoted for CommandLineToArgvW and the MSVCRT parser (the rules Node applies to spawn's args on
 * Windows): backslashes double only before a quote or the closing quote, quotes are escaped.
 */
export function quoteWindowsArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('an argument holds a NUL character, which no command line can carry');
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  for (let i = 0; i < arg.length; ) {
    let slashes = 0;
    while (arg[i] === '\\') {
      slashes++;
      i++;
    }
    if (i === arg.length) {
      out += '\\'.repeat(slashes * 2);
      break;
    }
    out += arg[i] === '"' ? '\\'.repeat(slashes * 2 + 1) + '"' : '\\'.repeat(slashes) + (arg[i] as string);
    i++;
  }
  return out + '"';
}

export const windowsCommandLine = (argv: readonly string[]): string => argv.map(quoteWindowsArg).join(' ');

/** The C# the launcher compiles: the console session's user token → CreateProcessAsUser on winsta0\default. */
const CONSOLE_LAUNCH_CS = String.raw`
using System; using System.ComponentModel; using System.Runtime.InteropServices; using System.Text;
public static class FlowhostConsoleLaunch {
  [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
  struct STARTUPINFO { public int cb; public string lpReserved; public string lpDesktop; public string lpTitle;
    public int dwX, dwY, dwXSize, dwYSize, dwXCountChars, dwYCountChars, dwFillAttribute, dwFlags;
    public short wShowWindow, cbReserved2; public IntPtr lpReserved2, hStdInput, hStdOutput, hStdError; }
  [StructLayout(LayoutKind.Sequential)]
  struct PROCESS_INFORMATION { public IntPtr hProcess, hThread; public int dwProcessId, dwThreadId; }
  [DllImport("kernel32.dll")] static extern uint WTSGetActiveConsoleSessionId();
  [DllImport("wtsapi32.dll", SetLastError = true)] static extern bool WTSQueryUserToken(uint session, out IntPtr token);
  [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
  static extern bool CreateProcessAsUser(IntPtr token, string app, StringBuilder cmd, IntPtr pa, IntPtr ta, bool inherit,
    uint flags, IntPtr env, string cwd, ref STARTUPINFO si, out PROCESS_INFORMATION pi);
  [DllImport("kernel32.dll")] static extern IntPtr GetStdHandle(int which);
  [DllImport("kernel32.dll")] static extern bool SetHandleInformation(IntPtr h, uint mask, uint flags);
  [DllImport("kernel32.dll")] static extern uint WaitForSingleObject(IntPtr h, uint ms);
  [DllImport("kernel32.dll")] static extern bool GetExitCodeProcess(IntPtr h, out uint code);
  [DllImport("kernel32.dll")] static extern bool CloseHandle(IntPtr h);
  static string Why() { return new Win32Exception(Marshal.GetLastWin32Error()).Message; }
  public static int Run(string commandLine, string cwd) {
    uint session = WTSGetActiveConsoleSessionId();
    IntPtr token;
    if (session == 0xFFFFFFFF || !WTSQueryUserToken(session, out token)) {
      Console.Error.WriteLine("flowhost: no user token of the console session (nobody signed in, or the agent is not LocalSystem): " + Why()); return ${LAUNCH_NO_CONSOLE_USER};
    }
    try {
      STARTUPINFO si = new STARTUPINFO(); si.cb = Marshal.SizeOf(typeof(STARTUPINFO)); si.lpDesktop = "winsta0\\default";
      si.dwFlags = 0x100; // STARTF_USESTDHANDLES: the flow writes to the agent's pipes
      si.hStdInput = GetStdHandle(-10); si.hStdOutput = GetStdHandle(-11); si.hStdError = GetStdHandle(-12);
      foreach (IntPtr h in new IntPtr[] { si.hStdInput, si.hStdOutput, si.hStdError })
        if (h != IntPtr.Zero && h != new IntPtr(-1)) SetHandleInformation(h, 1, 1);
      PROCESS_INFORMATION pi;
      // CREATE_NO_WINDOW (0x08000000): no console window for the flow on the user's desktop; its own windows show.
      // lpEnvironment null: the flow gets this process's variables (the flow's, set by the agent).
      if (!CreateProcessAsUser(token, null, new StringBuilder(commandLine), IntPtr.Zero, IntPtr.Zero, true, 0x08000000,
          IntPtr.Zero, cwd, ref si, out pi)) {
        Console.Error.WriteLine("flowhost: the flow could not be started in the console session: " + Why()); return ${LAUNCH_FAILED};
      }
      CloseHandle(pi.hThread);
      WaitForSingleObject(pi.hProcess, 0xFFFFFFFF);
      uint code; GetExitCodeProcess(pi.hProcess, out code); CloseHandle(pi.hProcess);
      return (int)code;
    } finally { CloseHandle(token); }
  }
}`;

/** The launcher: reads and removes its two variables, compiles the class above, runs the flow, exits with its code. */
export const CONSOLE_LAUNCH_PS = `$ErrorActionPreference = 'Stop'
$commandLine = $env:${LAUNCH_COMMANDLINE_ENV}; $cwd = $env:${LAUNCH_CWD_ENV}
[Environment]::SetEnvironmentVariable('${LAUNCH_COMMANDLINE_ENV}', $null)
[Environment]::SetEnvironmentVariable('${LAUNCH_CWD_ENV}', $null)
if (-not $commandLine) { [Console]::Error.WriteLine('flowhost: no command line'); exit ${LAUNCH_FAILED} }
Add-Type -TypeDefinition @'
${CONSOLE_LAUNCH_CS}
'@
exit [FlowhostConsoleLaunch]::Run($commandLine, $cwd)
`;

/** The whole virtual screen (every monitor) as a PNG, base64 on stdout: System.Drawing's CopyFromScreen. */
export const SCREENSHOT_PS = `$ErrorActionPreference = 'Stop'
Add-Type -AssemblyName System.Windows.Forms, System.Drawing
$b = [System.Windows.Forms.SystemInformation]::VirtualScreen
$bmp = New-Object System.Drawing.Bitmap $b.Width, $b.Height
$g = [System.Drawing.Graphics]::FromImage($bmp)
$g.CopyFromScreen($b.Left, $b.Top, 0, 0, $bmp.Size)
$ms = New-Object System.IO.MemoryStream
$bmp.Save($ms, [System.Drawing.Imaging.ImageFormat]::Png)
[Console]::Out.Write([Convert]::ToBase64String($ms.ToArray()))
`;

/** A command as spawn takes it, with the environment it needs. */
export interface WindowsCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
}

/** `argv` started in the console session as its user, by the launcher; `env` is what the started process gets. */
export function inConsoleSession(argv: readonly string[], cwd: string, env: Readonly<Record<string, string>>, agentEnv: NodeJS.ProcessEnv): WindowsCommand {
  if (argv.length === 0) throw new Error('no command to start');
  return {
    file: powershellPath(agentEnv),
    args: [...PS_ARGS, encodePowerShell(CONSOLE_LAUNCH_PS)],
    env: { ...env, [LAUNCH_COMMANDLINE_ENV]: windowsCommandLine(argv), [LAUNCH_CWD_ENV]: cwd },
  };
}

/** The screenshot script: run directly when the agent is in the console session, else through the launcher. */
export function windowsScreenshotCommand(inConsole: boolean, agentEnv: NodeJS.ProcessEnv): CaptureCommand {
  const ps = powershellPath(agentEnv);
  const shot = [ps, ...PS_ARGS, encodePowerShell(SCREENSHOT_PS)];
  const env = windowsBaseEnv(agentEnv);
  if (inConsole) return { file: ps, args: shot.slice(1), env, base64: true };
  const cmd = inConsoleSession(shot, `${ps.split('\\System32\\')[0] as string}\\System32`, env, agentEnv);
  return { file: cmd.file, args: cmd.args, env: cmd.env, base64: true };
}

/** The machine-wide variables PowerShell needs to start, from the agent's environment (none of the agent's settings). */
const WINDOWS_BASE_VARIABLES = ['SystemRoot', 'windir', 'SystemDrive', 'ProgramData', 'ProgramFiles', 'ProgramFiles(x86)', 'PATH', 'PATHEXT', 'ComSpec', 'PSModulePath', 'NUMBER_OF_PROCESSORS', 'PROCESSOR_ARCHITECTURE', 'OS'];

export function windowsBaseEnv(agentEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of WINDOWS_BASE_VARIABLES) if (agentEnv[name]) env[name] = agentEnv[name] as string;
  return env;
}

/** `MACHINE\user` as Win32_ComputerSystem.UserName gives it → `user`; undefined when nobody (or a name flowhost refuses). */
export function parseWindowsConsoleUser(text: string): string | undefined {
  const full = text.trim();
  const name = full.slice(full.lastIndexOf('\\') + 1);
  return /^[^\s"/\\[\]:;|=,+*?<>@]{1,64}$/.test(name) ? name : undefined;
}

/** Asks WMI who is signed in at the console (asynchronously: PowerShell takes a few hundred ms to start). */
export function queryWindowsConsoleUser(agentEnv: NodeJS.ProcessEnv): Promise<string | undefined> {
  const script = '(Get-CimInstance -ClassName Win32_ComputerSystem).UserName';
  return new Promise((resolve) => {
    execFile(powershellPath(agentEnv), [...PS_ARGS, encodePowerShell(script)], { timeout: 15_000, windowsHide: true, encoding: 'utf8' }, (err, out) => resolve(err ? undefined : parseWindowsConsoleUser(out)));
  });
}
