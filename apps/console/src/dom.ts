import { formatBytes } from '@agent-p2p/sdk';
/**
 * The only way the console and the homepage put content on the page. Text always goes through
 * textContent: whatever a peer or a visitor wrote is shown as typed and never parsed as HTML.
 */
export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | boolean | number | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else if (name === 'value' && 'value' in element) (element as HTMLInputElement).value = String(value);
    else element.setAttribute(name, neutralize(String(value)));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(neutralize(String(child))));
  }
}

// Bidi controls (embeddings, overrides, isolates, marks) and other invisible format characters.
const BIDI_AND_FORMAT = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Text as typed, with the characters that would reorder it shown instead of applied: a peer name
 * "\u202eexe.txt" reads as "⟨U+202E⟩exe.txt", not "txt.exe". Right-to-left scripts themselves are
 * untouched; only the invisible controls are made visible (the CLI escapes the same set).
 */
export function neutralize(text: string): string {
  return text.replace(BIDI_AND_FORMAT, (char) => `⟨U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

/** Replaces an element's text (neutralized like every other text the console shows). */
export function setText(element: Element, text: string): void {
  element.textContent = neutralize(text);
}

/** Brings the end of the page into view, so the newest message sits just above the sticky composer. */
export function scrollToEnd(): void {
  const page = document.scrollingElement ?? document.documentElement;
  page.scrollTop = page.scrollHeight;
}

export function clear(element: Element): void {
  while (element.firstChild) element.removeChild(element.firstChild);
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** Bytes as "512 B", "3.40 MiB": the SDK's formatter, so the console and the CLI say the same. */
export const formatSize = formatBytes;
