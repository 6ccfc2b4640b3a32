// How Debug Script starts smdebug-local, decided without VS Code (pure: the machine's answers
// come in through `Host`; src/findCommand.ts asks them). In order:
//   1. the setting smdebugLocal.command, when set (not empty);
//   2. the interpreter the Python extension selected for the folder, when it has smdebug-local
//      (a smdebug-local script next to it, else `python -m smdebug_local` if it imports);
//   3. a virtualenv in the workspace folder (.venv, venv, env) with its smdebug-local script;
//   4. smdebug-local on PATH (the extension host's).
// In a restricted workspace only the user's own setting and PATH count: the workspace's
// settings, its virtualenv and the interpreter the Python extension picked for it (which may
// well be that virtualenv's) are programs the workspace chose.
// And what Debug Script asks of it (`runArgs`).

import * as path from 'path';

/** smdebugLocal.command at each level (`inspect()`), undefined where not set. */
export interface SettingLevels {
    user?: unknown;
    workspace?: unknown;
    folder?: unknown;
}

/** What the machine says, asked only when needed. */
export interface Host {
    platform: NodeJS.Platform;
    /** The workspace folder of the script: its path, and what the Python extension's API
     * takes for it (its Uri). */
    folder: string;
    resource: unknown;
    trusted: boolean;
    setting: SettingLevels;
    /** PATH and PATHEXT of the extension host. */
    env: { PATH?: string; PATHEXT?: string };
    /** Whether `file` exists and is a file (and executable, where that means something). */
    isFile(file: string): boolean;
    /** The Python extension's exports (ms-python.python, activated), or null when it is not
     * installed; an Error when it could not be activated. */
    pythonApi(): Promise<unknown>;
    /** Whether `<python> -c "import smdebug_local"` succeeds. */
    imports(python: string): Promise<boolean>;
}

export type Resolution =
    | { ok: true; command: string[]; message: string }
    | { ok: false; message: string };

const VENVS = ['.venv', 'venv', 'env'];
const MODULE = 'smdebug_local';
const PROGRAM = 'smdebug-local';

/** The interpreter the Python extension selected for `resource`, from its exports: the
 * environments API (`getActiveEnvironmentPath(resource).path`), else the older
 * `settings.getExecutionDetails(resource).execPath` (only a plain interpreter, not a
 * `conda run ...` line). Any other shape or a throw: undefined. */
export function interpreterFromApi(api: unknown, resource: unknown): string | undefined {
    const a = api as {
        environments?: { getActiveEnvironmentPath?: (r: unknown) => { path?: unknown } | undefined };
        settings?: { getExecutionDetails?: (r: unknown) => { execPath?: unknown } | undefined };
    } | null | undefined;
    try {
        const active = a?.environments?.getActiveEnvironmentPath?.(resource)?.path;
        if (typeof active === 'string' && active.trim() !== '') {
            return active;
        }
    } catch {
        // fall through to the older API
    }
    try {
        const exec = a?.settings?.getExecutionDetails?.(resource)?.execPath;
        if (Array.isArray(exec) && exec.length === 1 && typeof exec[0] === 'string' && exec[0].trim() !== '') {
            return exec[0];
        }
    } catch {
        // no answer
    }
    return undefined;
}

/** The arguments of Debug Script's `smdebug-local run`, after the command's own.
 * `--post-mortem` always (a process that crashes with no debugger attached pauses for one):
 * the run's default is off in CI or without a terminal, and a run the extension starts has
 * someone to attach.
 * It comes before `extra` (smdebugLocal.runArgs), so that a `--no-post-mortem` there wins
 * (the last one counts). */
export function runArgs(watch: boolean, extra: readonly string[], script: string): string[] {
    return ['run', ...(watch ? ['--watch'] : []), '--post-mortem', ...extra, script];
}

/** A command line as one would type it (for messages). */
export function shown(command: string[]): string {
    return command.map((a) => (a === '' || /[\s"'$`\\]/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

function settingOf(host: Host): { value?: unknown; where?: string; ignored?: string } {
    const { user, workspace, folder } = host.setting;
    if (!host.trusted) {
        const ignored = folder !== undefined ? "the folder's settings" : workspace !== undefined ? "the workspace's settings" : undefined;
        return { value: user, where: 'your user settings', ignored };
    }
    if (folder !== undefined) {
        return { value: folder, where: "the folder's settings" };
    }
    if (workspace !== undefined) {
        return { value: workspace, where: "the workspace's settings" };
    }
    return { value: user, where: 'your user settings' };
}

export async function resolveCommand(host: Host): Promise<Resolution> {
    const p = host.platform === 'win32' ? path.win32 : path.posix;
    const windows = host.platform === 'win32';
    const passed: string[] = []; // why each earlier way was not taken
    const ok = (command: string[], why: string): Resolution => ({
        ok: true,
        command,
        message: `smdebug-local: using ${shown(command)} (${why})`
            + (passed.length > 0 ? `; not: ${passed.join('; ')}` : ''),
    });

    // 1. the setting
    const setting = settingOf(host);
    if (setting.ignored) {
        passed.push(`smdebugLocal.command in ${setting.ignored} (ignored in a restricted workspace)`);
    }
    if (setting.value !== undefined && !(Array.isArray(setting.value) && setting.value.length === 0)) {
        const v = setting.value;
        if (!Array.isArray(v) || !v.every((a) => typeof a === 'string') || v[0].trim() === '') {
            return {
                ok: false,
                message: `smdebug-local: smdebugLocal.command in ${setting.where} is ${JSON.stringify(v)}: it must be a list `
                    + 'whose first item is the program, e.g. ["/path/to/venv/bin/python", "-m", "smdebug_local"], '
                    + 'or [] to find smdebug-local by itself',
            };
        }
        return ok(v as string[], `smdebugLocal.command in ${setting.where}`);
    }

    const venvPython = (venv: string) => (windows ? p.join(venv, 'Scripts', 'python.exe') : p.join(venv, 'bin', 'python'));
    const venvProgram = (venv: string) => (windows ? p.join(venv, 'Scripts', `${PROGRAM}.exe`) : p.join(venv, 'bin', PROGRAM));
    if (host.trusted) {
        // 2. the Python extension's interpreter for this folder
        let api: unknown;
        try {
            api = await host.pythonApi();
        } catch (err) {
            api = undefined;
            passed.push(`the Python extension did not answer (${(err as Error).message})`);
        }
        if (api === null) {
            passed.push('no Python extension');
        } else if (api !== undefined) {
            const python = interpreterFromApi(api, host.resource);
            if (python === undefined) {
                passed.push('the Python extension names no interpreter for this folder');
            } else {
                const beside = p.isAbsolute(python)
                    ? [windows ? p.join(p.dirname(python), `${PROGRAM}.exe`) : p.join(p.dirname(python), PROGRAM),
                        ...(windows ? [p.join(p.dirname(python), 'Scripts', `${PROGRAM}.exe`)] : [])]
                    : [];
                const script = beside.find((f) => host.isFile(f));
                const selected = `the interpreter the Python extension selected for this folder, ${python}`;
                if (script !== undefined) {
                    return ok([script], `next to ${selected}`);
                }
                if (await host.imports(python)) {
                    return ok([python, '-m', MODULE], `${selected}, which has ${MODULE}`);
                }
                passed.push(`${selected}, has no ${MODULE}`);
            }
        }

        // 3. a virtualenv in the workspace folder
        const bare: string[] = [];
        for (const name of VENVS) {
            const venv = p.join(host.folder, name);
            if (host.isFile(venvProgram(venv))) {
                return ok([venvProgram(venv)], `the workspace's virtualenv ${name}`);
            }
            if (host.isFile(venvPython(venv))) {
                bare.push(name);
            }
        }
        passed.push(bare.length > 0
            ? `the workspace's virtualenv ${bare.join(', ')} has no ${PROGRAM}`
            : `no virtualenv (${VENVS.join(', ')}) in ${host.folder}`);
    } else {
        passed.push("not used in a restricted workspace: the Python extension's interpreter, the workspace's virtualenv");
    }

    // 4. PATH (absolute entries only: a relative one would be the workspace's)
    const delimiter = windows ? ';' : ':';
    const exts = windows ? (host.env.PATHEXT || '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e !== '') : [''];
    for (const dir of (host.env.PATH ?? '').split(delimiter)) {
        if (dir === '' || !p.isAbsolute(dir)) {
            continue;
        }
        for (const ext of exts) {
            const file = p.join(dir, PROGRAM + ext.toLowerCase());
            if (host.isFile(file)) {
                return ok([file], 'on PATH');
            }
        }
    }
    passed.push(`${PROGRAM} is not on PATH`);

    const install = host.trusted
        ? `Install it into the workspace's virtualenv (\`${shown([windows ? p.join('.venv', 'Scripts', 'pip') : p.join('.venv', 'bin', 'pip'), 'install', PROGRAM])}\`), `
            + `or \`pip install ${PROGRAM}\` where VS Code finds it on PATH, or set smdebugLocal.command in your settings`
        : `Install it with \`pip install ${PROGRAM}\` where VS Code finds it on PATH, or set smdebugLocal.command in your user settings `
            + '(in a restricted workspace only those count; trust the workspace to use its virtualenv)';
    return {
        ok: false,
        message: `smdebug-local: cannot find smdebug-local (${passed.join('; ')}). ${install}, `
            + 'e.g. ["/path/to/venv/bin/python", "-m", "smdebug_local"]',
    };
}
