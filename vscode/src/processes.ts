// What the extension asks the machine before trusting a state file's word: is the run's
// process alive (and ours, and an smdebug-local one), was it started by our task, does a
// container still run for this run. Linux answers from /proc; elsewhere the checks that
// need it are skipped (liveness still holds). Docker is asked with its CLI, and any failure
// counts as "no": these checks only ever prevent an attach.

import { execFile } from 'child_process';
import * as fs from 'fs';

/** Whether process ``pid`` exists (owned by anyone). */
export function alive(pid: number): boolean {
    if (!Number.isInteger(pid) || pid <= 1) {
        return false;
    }
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
}

function procText(pid: number, file: string): string | null {
    try {
        return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
    } catch {
        return null;
    }
}

/** What the run checks ask the machine (tests pass a machine of their own). */
export interface Machine {
    /** Whether this machine has /proc (Linux); without it only liveness is checked. */
    proc: boolean;
    /** This process's user id (process.getuid()), undefined where there is none (Windows). */
    uid: number | undefined;
    /** The owner's user id of a file (fs.statSync); throws if it cannot be stat'ed. */
    uidOf(file: string): number;
    /** A file's text, null if it cannot be read. */
    read(file: string): string | null;
    alive(pid: number): boolean;
}

export const THIS_MACHINE: Machine = {
    proc: fs.existsSync('/proc/self'),
    uid: process.getuid?.(),
    uidOf: (file) => fs.statSync(file).uid,
    read: (file) => {
        try {
            return fs.readFileSync(file, 'utf8');
        } catch {
            return null;
        }
    },
    alive,
};

/** Whether process ``pid`` is this user's: ``/proc/<pid>`` is owned by our uid (a pid a
 * killed run left in its state file may have been reused by another local account's
 * process: its command line names that account's programs, never run here as us). True
 * where that cannot be asked (no /proc, no getuid): liveness only, as before. */
export function ownProcess(pid: number, machine: Machine = THIS_MACHINE): boolean {
    if (!machine.proc || machine.uid === undefined) {
        return true;
    }
    try {
        return machine.uidOf(`/proc/${pid}`) === machine.uid;
    } catch {
        return false; // gone
    }
}

/** Whether ``pid`` is a live smdebug-local run of this user (a pid reused by another
 * program, or by another user's process, is not). */
export function isRunProcess(pid: number, machine: Machine = THIS_MACHINE): boolean {
    if (!machine.alive(pid) || !ownProcess(pid, machine)) {
        return false;
    }
    const cmdline = machine.read(`/proc/${pid}/cmdline`);
    if (cmdline === null) {
        return !machine.proc; // no /proc here (macOS): liveness only
    }
    // `smdebug-local run` and `python -m smdebug_local run` are Python processes, as is a
    // driver or notebook kernel that called enable().
    const args = cmdline.split('\0').map((a) => a.slice(a.lastIndexOf('/') + 1));
    return /^python[\d.]*$/.test(args[0]) || args.includes('smdebug-local');
}

function parentOf(pid: number): number | null {
    const stat = procText(pid, 'stat');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; split after the last ")".
    const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields && fields.length > 1 ? Number(fields[1]) : null;
}

/** Whether ``pid`` is ``ancestor`` or one of its descendants (a wrapper such as `uv run`
 * between the task and the run). */
export function descendantOf(pid: number, ancestor: number): boolean {
    for (let p: number | null = pid, hops = 0; p !== null && p > 1 && hops < 16; hops++) {
        if (p === ancestor) {
            return true;
        }
        p = parentOf(p);
    }
    return false;
}

/** Whether container ``name`` is running and belongs to run ``run`` (its label). */
export function containerRunsFor(name: string, run: string): Promise<boolean> {
    return new Promise((resolve) => {
        execFile(
            'docker',
            ['inspect', '--format', '{{.State.Running}} {{index .Config.Labels "smdebug-local.run"}}', name],
            { timeout: 10_000 },
            (err, stdout) => resolve(!err && stdout.trim() === `true ${run}`),
        );
    });
}
