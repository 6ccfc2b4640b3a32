// A Linux machine for tests of what the extension asks the machine (src/processes.ts's
// Machine): we are uid 1000, ``procs`` run (pid -> owner uid, argv); ``files``: other files'
// text.

import type { Machine } from '../src/processes';

export function fakeLinux(
    procs: Record<number, [number, string[]]>, files: Record<string, string> = {},
): Machine {
    return {
        proc: true,
        uid: 1000,
        uidOf: (file) => {
            const pid = Number(/^\/proc\/(\d+)$/.exec(file)?.[1]);
            if (!(pid in procs)) {
                throw new Error(`ENOENT: ${file}`);
            }
            return procs[pid][0];
        },
        read: (file) => {
            // /proc/<pid>/cmdline: the arguments, each ended by a NUL.
            const pid = Number(/^\/proc\/(\d+)\/cmdline$/.exec(file)?.[1]);
            return pid in procs ? procs[pid][1].join('\0') + '\0' : files[file] ?? null;
        },
        alive: (pid) => pid in procs, // EPERM (another user's) counts as alive
    };
}
