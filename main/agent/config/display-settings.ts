/** How unattended sessions get a private virtual display (agent config `virtualDisplay`, `displaySize`, `displayDepth`). */
export interface DisplaySettings {
  /** auto: when Xvfb is installed; on: always (a session fails when its display cannot start); off: never. */
  readonly mode: VirtualDisplayMode;
  readonly width: number;
  readonly height: number;
  /** Bits per pixel of the virtual screen. */
  readonly depth: DisplayDepth;
}

export const VIRTUAL_DISPLAY_MODES = ['auto', 'on', 'off'] as const;
export type VirtualDisplayMode = (typeof VIRTUAL_DISPLAY_MODES)[number];
/** The depths Xvfb serves for a TrueColor or PseudoColor root window. */
export const DISPLAY_DEPTHS = [8, 16, 24] as const;
export type DisplayDepth = (typeof DISPLAY_DEPTHS)[number];

/** `<width>x<height>`, each 1–5 digits (the bounds are checked by parseDisplaySize). */
export const DISPLAY_SIZE_PATTERN = '^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$';
export const DISPLAY_SIZE_LIMITS = { minWidth: 320, minHeight: 200, maxWidth: 8192, maxHeight: 8192 } as const;

export const DEFAULT_DISPLAY_SETTINGS: DisplaySettings = { mode: 'auto', width: 1280, height: 1024, depth: 24 };

/** `1280x1024` → its numbers; throws naming the bounds when it is out of them. */
export function parseDisplaySize(text: string): { width: number; height: number } {
  const match = new RegExp(DISPLAY_SIZE_PATTERN).exec(text);
  const width = Number(match ? text.split('x')[0] : NaN);
  const height = Number(match ? text.split('x')[1] : NaN);
  const l = DISPLAY_SIZE_LIMITS;
  if (!match || width < l.minWidth || height < l.minHeight || width > l.maxWidth || height > l.maxHeight) {
    throw new Error(`displaySize must be <width>x<height> between ${l.minWidth}x${l.minHeight} and ${l.maxWidth}x${l.maxHeight}, got '${text.slice(0, 32)}'`);
  }
  return { width, height };
}
