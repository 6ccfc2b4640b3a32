// Show Stacks: every thread's Python stack of a run's debugged processes, as
// `smdebug-local stacks` prints them -- for a run that hangs (a deadlocked rank, a stuck
// DataLoader) without pausing every session to look. Pure (unit-tested in
// test/stacks.test.ts): the command line, and what the user sees once it ended;
// src/commands.ts runs it.

import { shown } from './command';

/** How long `smdebug-local stacks` may take (it asks every process of the run). */
export const STACKS_MS = 15_000;

/** Whose stacks: a run of a workspace folder, or one of its targets (its service). */
export interface StacksOf {
    folder: string;
    run: string;
    service?: string;
}

/** How `smdebug-local stacks` ended, as child_process.execFile tells it. */
export interface Ended {
    /** The exit code; null when it did not start or was killed. */
    code: number | null;
    /** Why it did not start or was stopped by Node: an errno ("ENOENT", "EACCES") or Node's
     * own code (output over maxBuffer); undefined otherwise. */
    errno?: string;
    /** Killed because it took over STACKS_MS. */
    timedOut: boolean;
    /** Node's message for any failure above. */
    message?: string;
    stdout: string;
    stderr: string;
}

export type Shown = { ok: true; text: string } | { ok: false; message: string };

/** The command line: `command` (how Debug Script starts smdebug-local) with
 * `stacks --workspace FOLDER --run RUN [--target SERVICE]`. */
export function stacksCommand(command: readonly string[], of: StacksOf): string[] {
    return [
        ...command, 'stacks', '--workspace', of.folder, '--run', of.run,
        ...(of.service !== undefined ? ['--target', of.service] : []),
    ];
}

/** The line of stderr that says what went wrong: smdebug-local's own
 * ("smdebug-local: error: ...") or the CLI parser's ("Error: No such command ..." from a
 * smdebug-local without `stacks`), else the last line (a traceback's exception). */
function errorLine(stderr: string): string | undefined {
    const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    return [...lines].reverse().find((l) => /^(smdebug-local: )?error: /i.test(l)) ?? lines[lines.length - 1];
}

/** The text to open (stdout), or the one error message to show. */
export function stacksShown(line: string[], ended: Ended): Shown {
    if (ended.errno === 'ENOENT') {
        return {
            ok: false,
            message: `smdebug-local: cannot find smdebug-local (${shown([line[0]])} does not exist). Install it, `
                + 'or set smdebugLocal.command in your settings, e.g. ["/path/to/venv/bin/python", "-m", "smdebug_local"]',
        };
    }
    if (ended.timedOut) {
        return { ok: false, message: `smdebug-local: no stacks after ${STACKS_MS / 1000} s (${shown(line)})` };
    }
    if (ended.errno !== undefined) {
        return { ok: false, message: `smdebug-local: cannot run ${shown(line)}: ${ended.message ?? ended.errno}` };
    }
    if (ended.code === 0) {
        return ended.stdout.trim() !== ''
            ? { ok: true, text: ended.stdout }
            : { ok: false, message: `smdebug-local: ${shown(line)} printed no stacks` };
    }
    const why = errorLine(ended.stderr);
    if (why?.startsWith('smdebug-local: ')) {
        return { ok: false, message: why };
    }
    const status = ended.code !== null ? `exit code ${ended.code}` : 'killed';
    return { ok: false, message: `smdebug-local: stacks failed (${status})${why ? `: ${why}` : ''}` };
}
