/** A WebSocket close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5: a 125-byte control payload less the code). */
export const MAX_CLOSE_REASON_BYTES = 123;

const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * The longest prefix of `text` whose UTF-8 encoding is at most `maxBytes`, cut between code points (a surrogate
 * pair is never split). A lone surrogate counts 3 bytes, as the encoder writes it (U+FFFD). One pass that stops at
 * the limit: linear in the prefix kept, whatever the length of `text`.
 */
export function cutUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const unit = text.charCodeAt(i);
    let size = 3;
    let units = 1;
    if (unit < 0x80) size = 1;
    else if (unit < 0x800) size = 2;
    else if (isHighSurrogate(unit) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      size = 4;
      units = 2;
    }
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += units;
  }
  return i === text.length ? text : text.slice(0, i);
}

/** `text` cut to fit a WebSocket close frame: both programs pass every close reason through it. */
export const closeReason = (text: string): string => cutUtf8(text, MAX_CLOSE_REASON_BYTES);
