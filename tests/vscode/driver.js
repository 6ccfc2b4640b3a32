// Drives a real VS Code (code-server) in Debian's Chromium for smdebug-local's tests.
//
// A long-lived process: one JSON command per line on stdin, one JSON answer per line on
// stdout ({"id", "ok": true, "result"} or {"id", "ok": false, "error"}). The commands are
// small browser primitives; the test steps built from them live in vscode_workbench.py.
//   launch {userDataDir, url, width, height}   a fresh Chromium profile, opens url
//   close {}                                     closes the browser
//   press {keys: [...]}                          keyboard presses ("Control+P", "F5", ...)
//   type {text}                                  types text into the focused element
//   wait {selector, state, ms}                   waits for a selector (visible by default)
//   click {selector, text?, ms}                  clicks the first match (optionally by text)
//   eval {body, arg}                             runs `function (arg) { body }` in the page
//   screenshot {path}                            a PNG of the page
//
// Environment: PLAYWRIGHT_CORE (the playwright-core module folder), CHROMIUM (default
// /usr/bin/chromium).
'use strict';

const readline = require('readline');
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

let context = null;
let page = null;

function need() {
    if (!page) throw new Error('no browser: send "launch" first');
    return page;
}

const commands = {
    async launch({ userDataDir, url, width = 1600, height = 1000 }) {
        if (context) await context.close();
        context = await chromium.launchPersistentContext(userDataDir, {
            executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
            headless: true,
            args: CHROMIUM_ARGS,
            viewport: { width, height },
        });
        page = context.pages()[0] || await context.newPage();
        await page.goto(url, { waitUntil: 'domcontentloaded' });
        return { version: context.browser() ? context.browser().version() : null };
    },
    async close() {
        if (context) await context.close();
        context = null;
        page = null;
        return null;
    },
    async press({ keys, delay = 0 }) {
        for (const key of keys) {
            await need().keyboard.press(key);
            if (delay) await need().waitForTimeout(delay);
        }
        return null;
    },
    async type({ text, delay = 0 }) {
        await need().keyboard.type(text, { delay });
        return null;
    },
    async wait({ selector, state = 'visible', ms = 30000 }) {
        await need().waitForSelector(selector, { state, timeout: ms });
        return null;
    },
    async click({ selector, text, ms = 10000 }) {
        let locator = need().locator(selector);
        if (text !== undefined) locator = locator.filter({ hasText: text });
        await locator.first().click({ timeout: ms });
        return null;
    },
    async eval({ body, arg = null }) {
        // eslint-disable-next-line no-new-func
        return need().evaluate(new Function('arg', body), arg);
    },
    async screenshot({ path }) {
        await need().screenshot({ path });
        return path;
    },
};

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
    queue = queue.then(async () => {
        let message;
        try {
            message = JSON.parse(line);
        } catch (err) {
            process.stdout.write(JSON.stringify({ id: null, ok: false, error: `bad JSON: ${err}` }) + '\n');
            return;
        }
        const { id, cmd, args = {} } = message;
        try {
            if (!commands[cmd]) throw new Error(`unknown command ${cmd}`);
            const result = await commands[cmd](args);
            process.stdout.write(JSON.stringify({ id, ok: true, result: result ?? null }) + '\n');
        } catch (err) {
            process.stdout.write(JSON.stringify({ id, ok: false, error: String(err && err.stack || err) }) + '\n');
        }
    });
});
rl.on('close', async () => {
    await queue;
    if (context) await context.close().catch(() => {});
    process.exit(0);
});
