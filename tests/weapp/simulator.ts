/**
 * Runs Taro's compiled weapp output in miniprogram-simulate with WeChat's official wcc compiler.
 * Taro registers pages with Page(); the simulator renders components, so each page is registered
 * as a component whose attach/detach drive the page lifecycle (onLoad, onShow, onUnload).
 */
import { join } from 'node:path';
import simulate from 'miniprogram-simulate';

type Lifecycle = (this: PageInstance, ...args: unknown[]) => void;
interface PageInstance {
  route: string;
  setData(data: Record<string, unknown>, cb?: () => void): void;
  onLoad?: Lifecycle;
  onShow?: Lifecycle;
  onUnload?: Lifecycle;
}

/** j-component's typings omit detach(), which removes the component and runs its detached lifetime. */
export type SimulatedPage = ReturnType<typeof simulate.render> & { detach(): void };

interface Globals {
  wx: unknown;
  App: (options: Record<string, unknown>) => void;
  getApp: () => unknown;
  getCurrentPages: () => unknown[];
  requirePlugin: () => unknown;
  Page: (options: Record<string, unknown>) => void;
  Component: (options: Record<string, unknown>) => void;
}

export class WeappSimulator {
  private app?: { onLaunch?: (o: unknown) => void; onShow?: (o: unknown) => void };
  private readonly pages: PageInstance[] = [];
  private nextQuery: { route: string; query: Record<string, string> } = { route: '', query: {} };
  /** Webpack runs a page's module once, so each page is loaded once and rendered as often as needed. */
  private readonly loaded = new Map<string, string>();
  /** JSON sizes of the setData calls of every page opened, in order. */
  readonly setDataSizes: number[] = [];

  constructor(
    private readonly root: string,
    wx: unknown,
  ) {
    const g = globalThis as unknown as Globals;
    const registerComponent = g.Component;
    g.wx = wx;
    g.App = (options) => (this.app = options);
    g.getApp = () => this.app;
    g.getCurrentPages = () => this.pages;
    g.requirePlugin = () => ({});
    g.Page = (options) => {
      const methods: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(options)) if (typeof value === 'function') methods[key] = value;
      const attach = (page: PageInstance) => {
        const { route, query } = this.nextQuery;
        page.route = route;
        // Every setData the page gets, by size of its JSON: what crosses to the render thread.
        const setData = page.setData.bind(page);
        page.setData = (data, cb) => {
          this.setDataSizes.push(JSON.stringify(data).length);
          setData(data, cb);
        };
        this.pages.push(page);
        page.onLoad?.(query);
        page.onShow?.();
      };
      const detach = (page: PageInstance) => {
        page.onUnload?.();
        this.pages.splice(this.pages.indexOf(page), 1);
      };
      registerComponent({
        data: options.data,
        methods,
        lifetimes: {
          attached(this: PageInstance) {
            attach(this);
          },
          detached(this: PageInstance) {
            detach(this);
          },
        },
      });
    };
    // The bundle must run inside Jest's module registry so it sees the faked wx/App/Page globals above.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(join(root, 'app.js'));
    this.app?.onLaunch?.({ path: 'pages/entry/index', query: {} });
    this.app?.onShow?.({ path: 'pages/entry/index', query: {} });
  }

  /** The app comes back to the foreground (App.onShow), showing `path` with `query`. */
  show(path: string, query: Record<string, string> = {}): void {
    this.app?.onShow?.({ path, query });
  }

  /** Loads, renders and attaches one page, as opening it with `query` would. */
  open(route: string, query: Record<string, string> = {}): SimulatedPage {
    this.nextQuery = { route, query };
    let id = this.loaded.get(route);
    if (!id) {
      id = simulate.load(join(this.root, route), { compiler: 'official', rootPath: this.root });
      this.loaded.set(route, id);
    }
    const page = simulate.render(id);
    page.attach(document.createElement('parent-wrapper'));
    return page as SimulatedPage;
  }
}

/** Polls until `check` passes (Taro renders through setData asynchronously). */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await simulate.sleep(20);
  }
}
