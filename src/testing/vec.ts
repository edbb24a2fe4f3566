import type { JsonValue } from "./json";
import type { VecAction } from "./types";

/** Small constructors for VEC actions (the `content` of an `actions` option). */
export const vec = {
  setHtml: (selector: string, html: string): VecAction => ({ type: "setHtml", selector, cssSelector: selector, content: html }),
  setText: (selector: string, text: string): VecAction => ({ type: "setText", selector, cssSelector: selector, content: text }),
  setStyle: (selector: string, style: Record<string, string>): VecAction => ({ type: "setStyle", selector, cssSelector: selector, content: { ...style } }),
  setAttribute: (selector: string, attributes: Record<string, string>): VecAction => ({ type: "setAttribute", selector, cssSelector: selector, content: { ...attributes } }),
  insertBefore: (selector: string, html: string): VecAction => ({ type: "insertBefore", selector, cssSelector: selector, content: html }),
  insertAfter: (selector: string, html: string): VecAction => ({ type: "insertAfter", selector, cssSelector: selector, content: html }),
  remove: (selector: string): VecAction => ({ type: "remove", selector, cssSelector: selector }),
  custom: (type: string, selector: string, content?: JsonValue): VecAction =>
    content === undefined ? { type, selector, cssSelector: selector } : { type, selector, cssSelector: selector, content },
} as const;
