import { act } from '@tarojs/test-utils-react/dist/pure';

/** Taro's Stencil components render their inner elements asynchronously after mount. */
export async function hydrated(container: Element, selector: string): Promise<Element> {
  for (let i = 0; i < 100; i++) {
    const el = container.querySelector(selector);
    if (el) return el;
    await act(() => new Promise((r) => setTimeout(r, 20)));
  }
  throw new Error(`${selector} never rendered`);
}
