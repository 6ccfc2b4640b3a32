// What smdebug-local's state file (<workspace>/.smdebug-local/state.json) says can be
// debugged right now, as targets this extension attaches to. Pure: no VS Code, no I/O, so
// it is unit-tested in milliseconds (test/state.test.ts).
//
// The file is written by the run (smdebug_local/state.py: one entry per container, with
// one endpoint per debugged process -- per model-server worker, per rank) and removed when
// the run ends. Its schema is versioned; any other version is refused with one line.

export const STATE_DIR = '.smdebug-local';
export const STATE_FILE = 'state.json';
/** A run started while another run went on in the same workspace writes its own file. */
const RUN_STATE_FILE = /^state-[A-Za-z0-9]+\.json$/;
/** What the extension watches in each folder's STATE_DIR. */
export const STATE_GLOB = 'state*.json';
export const VERSION = 1;

/** The state files among a folder's STATE_DIR entries: state.json first, then the runs
 * started beside it (state-<run>.json), in name order. */
export function stateFileNames(names: string[]): string[] {
    return [
        ...names.filter((n) => n === STATE_FILE),
        ...names.filter((n) => RUN_STATE_FILE.test(n)).sort(),
    ];
}

/** Whether a state file owned by ``fileUid`` is this user's (``uid``: undefined where the
 * system has no user ids). Another user's run in a shared workspace is never attached:
 * its endpoints would not let this user in anyway, and its file is theirs to write. */
export function ownedBy(uid: number | undefined, fileUid: number): boolean {
    return uid === undefined || uid === fileUid;
}

export interface PathMapping {
    localRoot: string;
    remoteRoot: string;
}

/** One debuggable process: a container's endpoint (or the driver on this machine). */
export interface Target {
    /** Stable while the same container lives; a rerun's new container is a new key. */
    key: string;
    run: string;
    role: string;
    host: string;
    service: string;
    container: string | null;
    job: string | null;
    /** The rank this endpoint is for (distributed training), else null. */
    rank: number | null;
    /** The model-server worker (1-based) when a container has several endpoints, else null. */
    worker: number | null;
    /** Shown everywhere: "training algo-1", "training algo-1 rank 1", "serving algo-1 worker 2". */
    label: string;
    /** The endpoint as the state file lists it ("127.0.0.1:5678"); for connect-back
     * targets, where the container connects to. */
    address: string;
    /** The port to attach to on loopback; null for connect-back targets (the container
     * connects to the IDE, nothing to attach to). */
    port: number | null;
    /** True when the process waits for a debugger before running. */
    wait: boolean;
    pathMappings: PathMapping[];
    /** The debugger in the container ("debugpy", "pydevd-pycharm"); absent: debugpy. A
     * connect-back target of another debugger connects to that IDE, never to our listener. */
    debugger?: string;
}

export interface Run {
    id: string;
    pid: number;
    script: string;
    targets: Target[];
}

export class StateError extends Error {}

function text(value: unknown, fallback = ''): string {
    return typeof value === 'string' ? value : fallback;
}

// Hosts whose port is reached through 127.0.0.1: loopback itself, and "all interfaces"
// (a run published with --bind 0.0.0.0 listens on loopback too). An endpoint on any other
// address is listed, never attached: 127.0.0.1 with its port could be something else.
const LOOPBACK_REACHABLE = new Set(['127.0.0.1', 'localhost', '0.0.0.0', '::1', '[::1]', '::', '[::]']);

/** "host:port" -> the port to attach to on 127.0.0.1, or null (no numeric port, or a
 * host that loopback does not reach). */
export function portOf(endpoint: string): number | null {
    const match = /^(.*):(\d+)$/.exec(endpoint);
    if (!match || !LOOPBACK_REACHABLE.has(match[1])) {
        return null;
    }
    const port = Number(match[2]);
    return port > 0 && port < 65536 ? port : null;
}

/** The targets of one state-file entry (a container, or the driver): one per endpoint. */
function entryTargets(run: string, entry: Record<string, unknown>): Target[] {
    const role = text(entry.role, 'unknown');
    const host = text(entry.host, '?');
    const service = text(entry.service, host);
    const container = typeof entry.container === 'string' ? entry.container : null;
    const job = typeof entry.job === 'string' ? entry.job : null;
    const wait = entry.wait === true;
    const debuggerName = typeof entry.debugger === 'string' ? entry.debugger : 'debugpy';
    const pathMappings = Array.isArray(entry.pathMappings)
        ? (entry.pathMappings as unknown[]).filter(
              (m): m is PathMapping =>
                  typeof m === 'object' && m !== null
                  && typeof (m as PathMapping).localRoot === 'string'
                  && typeof (m as PathMapping).remoteRoot === 'string',
          )
        : [];
    const endpoints = Array.isArray(entry.endpoints)
        ? (entry.endpoints as unknown[]).filter((e): e is string => typeof e === 'string')
        : [];
    const ranks = Array.isArray(entry.ranks) && entry.ranks.length === endpoints.length
        ? (entry.ranks as unknown[]).map((r) => (typeof r === 'number' ? r : null))
        : null;
    const base = `${role} ${host}`;
    const keyOf = (address: string) => [run, service, container ?? '', address].join('|');
    if (endpoints.length === 0) {
        // Connect-back mode: the container connects to the IDE; listed, never attached.
        const address = text(entry.connect);
        return [{
            key: keyOf(`connect:${address}`), run, role, host, service, container, job,
            rank: null, worker: null, label: base, address, port: null, wait, pathMappings,
            debugger: debuggerName,
        }];
    }
    return endpoints.map((address, i) => {
        const rank = ranks ? ranks[i] : null;
        const worker = !ranks && endpoints.length > 1 ? i + 1 : null;
        const label = rank !== null ? `${base} rank ${rank}`
            : worker !== null ? `${base} worker ${worker}` : base;
        return {
            key: keyOf(address), run, role, host, service, container, job, rank, worker, label,
            address, port: portOf(address), wait, pathMappings, debugger: debuggerName,
        };
    });
}

/** Parse the state file's text; throws StateError naming what is wrong. */
export function parseState(source: string): Run {
    let doc: unknown;
    try {
        doc = JSON.parse(source);
    } catch (err) {
        throw new StateError(`not JSON (${(err as Error).message})`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
        throw new StateError('not a JSON object');
    }
    const d = doc as Record<string, unknown>;
    if (d.version !== VERSION) {
        throw new StateError(
            `version ${JSON.stringify(d.version)} (this extension reads version ${VERSION}): `
            + 'update the extension or smdebug-local so they match',
        );
    }
    const id = text(d.run);
    if (!id) {
        throw new StateError('no run id');
    }
    const entries = Array.isArray(d.targets) ? (d.targets as unknown[]) : [];
    const targets = entries
        .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
        .flatMap((e) => entryTargets(id, e));
    return { id, pid: typeof d.pid === 'number' ? d.pid : 0, script: text(d.script), targets };
}
