// Connect-back mode (`smdebug-local run --mode connect`): each container's debugpy
// connects to host.docker.internal:PORT -- what Docker's "host-gateway" resolves to, the
// default bridge network's gateway -- where an IDE's debugpy adapter listens (the
// generated launch.json's "listen" configuration does that for the Python Debugger). The
// extension does it by itself: a session of its own type whose adapter is debugpy's own
// (`python -m debugpy.adapter`, from the Python that runs smdebug-local: debugpy is one of
// its dependencies) and whose attach request says "listen" on the bridge gateway. What
// here needs no VS Code; the pure parts are unit-tested in test/connectback.test.ts.

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

import { Machine, ownProcess, THIS_MACHINE } from './processes';

/** The name containers connect to in connect-back mode (smdebug_local/options.py). */
export const HOST_FROM_CONTAINER = 'host.docker.internal';

const PYTHON = /^python[\d.]*$/;

/** A run process's command line -> the Python running it, if it names one by its full
 * path (`/venv/bin/smdebug-local run ...` runs as `/venv/bin/python /venv/bin/smdebug-local
 * run ...`: the kernel puts the script's #! interpreter first). */
export function pythonOfArgv(argv: readonly string[]): string | null {
    const first = argv[0] ?? '';
    return path.isAbsolute(first) && PYTHON.test(path.basename(first)) ? first : null;
}

/** The interpreter a script's first line names: "#!/venv/bin/python" -> that path,
 * "#!/usr/bin/env python3" -> "python3"; else null. */
export function shebangPython(text: string): string | null {
    const line = text.split('\n', 1)[0];
    const match = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(line);
    if (!match) {
        return null;
    }
    const [, program, arg] = match;
    if (path.basename(program) === 'env' && arg && PYTHON.test(arg)) {
        return arg;
    }
    return PYTHON.test(path.basename(program)) ? program : null;
}

/** `docker network inspect bridge --format '{{json .IPAM.Config}}'` -> the gateway (or,
 * where an engine lists only the subnet, its first address, which Docker gives the
 * gateway); IPv4 only. */
export function gatewayOf(ipamConfig: string): string | null {
    let configs: unknown;
    try {
        configs = JSON.parse(ipamConfig);
    } catch {
        return null;
    }
    for (const c of Array.isArray(configs) ? configs : []) {
        const gateway = typeof c?.Gateway === 'string' ? c.Gateway : '';
        if (net.isIPv4(gateway)) {
            return gateway;
        }
        const subnet = typeof c?.Subnet === 'string' ? /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/\d+$/.exec(c.Subnet) : null;
        if (subnet) {
            return `${subnet[1]}.${subnet[2]}.${subnet[3]}.${Number(subnet[4]) + 1}`;
        }
    }
    return null;
}

/** Where to listen for a connect-back address ("host.docker.internal:5678"): the bridge
 * gateway for Docker's host name, an IPv4 address as it is; null otherwise (never all
 * interfaces: every machine that reaches this one could open a session in VS Code). */
export function listenHost(address: string, gateway: string | null): string | null {
    const host = address.slice(0, address.lastIndexOf(':'));
    if (host === HOST_FROM_CONTAINER) {
        return gateway;
    }
    return net.isIPv4(host) && host !== '0.0.0.0' ? host : null;
}

/** The default bridge network's gateway, from Docker's CLI (null if it cannot say). */
export function bridgeGateway(): Promise<string | null> {
    return new Promise((resolve) => {
        execFile(
            'docker', ['network', 'inspect', 'bridge', '--format', '{{json .IPAM.Config}}'],
            { timeout: 10_000 },
            (err, stdout) => resolve(err ? null : gatewayOf(stdout.trim())),
        );
    });
}

/** Whether ``host:port`` can be listened on now (nothing else listens there). */
export function portFree(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.once('error', () => resolve(false));
        server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
    });
}

function onPath(name: string): string | null {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
        const file = path.join(dir, name);
        try {
            fs.accessSync(file, fs.constants.X_OK);
            return file;
        } catch {
            // not here
        }
    }
    return null;
}

/**
 * The Python whose debugpy adapter listens for a run's containers: the one running the
 * run (its process's command line, if it names it by path -- only a process of this
 * user's: a pid left by a killed run may be another account's process now, whose programs
 * are never run here), else the one of the command Debug Script runs (``command``, asked
 * only then: src/findCommand.ts; its first word if that is a Python, or the #! line of the
 * script it names), else "python3".
 */
export async function adapterPython(
    runPid: number,
    command: () => Promise<readonly string[] | undefined>,
    machine: Machine = THIS_MACHINE,
): Promise<string> {
    // Owned before and after the read: the command line read is this user's process's.
    const cmdline = ownProcess(runPid, machine) ? machine.read(`/proc/${runPid}/cmdline`) : null;
    if (cmdline !== null && ownProcess(runPid, machine)) {
        const python = pythonOfArgv(cmdline.split('\0'));
        if (python) {
            return python;
        }
    }
    // else: no /proc (macOS), the run is gone, not ours, or started by a bare "python3"
    const first = (await command().catch(() => undefined))?.[0]; // not found: the default
    if (first) {
        if (PYTHON.test(path.basename(first))) {
            return first;
        }
        const script = path.isAbsolute(first) ? first : onPath(first);
        const python = script ? shebangPython(machine.read(script)?.slice(0, 512) ?? '') : null;
        if (python) {
            return python;
        }
    }
    return 'python3';
}
