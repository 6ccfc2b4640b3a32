// Keeps VS Code's debug sessions in step with the runs of this workspace: reads each
// folder's state files when they change -- state.json, and state-<run>.json of a run
// started beside another; a file of another user's is never read -- (a watcher per folder,
// plus a 1 s check that also notices a run that died without removing its file), attaches
// every new target
// (src/decide.ts says which) -- a connect-back run's targets through a listener of ours
// (src/connectback.ts) --, ends the sessions of targets that left, leaves to the Python
// Debugger what a "debugpy" session holds or is about to (src/handover.ts), and tracks
// each target's state for the view and the status bar, and every debug session for
// Continue All / Pause All (src/runcontrol.ts).

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

import { DEBUG_TYPE, OpenedConnections } from './adapter';
import { LOOPBACK, Opened, openWhenReady } from './connect';
import { adapterPython, bridgeGateway, listenHost, portFree } from './connectback';
import {
    decide, Known, Listener, listenerKey, listenersOf, SessionPhase, targetState, TargetState,
} from './decide';
import type { CommandFinder } from './findCommand';
import { Claim, claimOf, handOver, Held, Holds, preLaunchTaskOf, taskNames } from './handover';
import { containerRunsFor, descendantOf, isRunProcess } from './processes';
import { ownedBy, parseState, Run, STATE_DIR, STATE_GLOB, stateFileNames, StateError, Target } from './state';

const POLL_MS = 1000;
/** A target tried again after its process ended: how often Docker is asked whether its
 * container still runs for this run (while it does, its port can be no one else's). */
const RECHECK_MS = 3000;
/** How long a listener waits for its port to be free (the previous listener's adapter
 * process may still be ending), and how long a handover waits for our session to end. */
const PORT_WAIT_MS = 5000;
const HANDOVER_WAIT_MS = 10_000;
/** The Python Debugger's debug type (the generated launch.json's configurations). */
export const DEBUGPY_TYPE = 'debugpy';
const STEPPING = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto']);

/** One workspace folder's run, as its state file says. */
export interface FolderRun {
    folder: vscode.WorkspaceFolder;
    run: Run | null;
    /** Why the state file is not used (shown in the view), else null. */
    problem: string | null;
}

export class Attacher implements vscode.Disposable {
    private readonly emitter = new vscode.EventEmitter<void>();
    /** Fires when runs, targets or sessions change. */
    readonly onDidChange = this.emitter.event;

    private readonly folders = new Map<string, FolderRun & { stamp: string }>();
    private readonly watchers = new Map<string, vscode.Disposable>();
    private readonly phases = new Map<string, SessionPhase>();
    private readonly roots = new Map<string, vscode.DebugSession>();
    /** Root sessions of ours whose adapter exists but that VS Code has not announced yet
     * (it does once the attach request is answered: a listener's only when a debuggee
     * connected), so that they can be stopped. */
    private readonly unannounced = new Map<string, vscode.DebugSession>();
    /** Every debug session VS Code announced, of any type (for Continue All). */
    private readonly live = new Map<string, vscode.DebugSession>();
    /** Ports "debugpy" sessions hold (src/handover.ts). */
    private readonly holds = new Holds();
    private heldSignature = '';
    private gateway: { address: string | null; at: number } | null = null;
    private readonly paused = new Map<string, string>(); // session id -> target key
    private readonly declined = new Set<string>();
    private readonly ended = new Set<string>();
    /** Sessions the user ended (VS Code asked the adapter to disconnect before the
     * adapter said its process ended): their target is not attached again by itself. */
    private readonly userEnded = new Set<string>();
    private readonly adapterEnded = new Set<string>();
    /** Processes of the tasks "Debug Script" started: their runs are attached even with
     * autoAttach off. */
    private readonly taskPids = new Set<number>();
    private readonly disposables: vscode.Disposable[] = [];
    private readonly timer: NodeJS.Timeout;
    private disposed = false;

    constructor(
        private readonly connections: OpenedConnections,
        private readonly log: (line: string) => void,
        private readonly finder: CommandFinder,
    ) {
        this.disposables.push(
            vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
            vscode.workspace.onDidChangeConfiguration((e) => {
                if (e.affectsConfiguration('smdebugLocal.autoAttach')) {
                    this.apply();
                }
            }),
            vscode.debug.onDidStartDebugSession((s) => this.started(s)),
            vscode.debug.onDidTerminateDebugSession((s) => this.terminated(s)),
            vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
                createDebugAdapterTracker: (s) => this.tracker(s),
            }),
            // The Python Debugger's sessions: claimed when VS Code resolves their
            // configuration (before a pre-launch task starts the run), held from their
            // adapter's start (again on each restart of a listen configuration).
            vscode.debug.registerDebugConfigurationProvider(DEBUGPY_TYPE, {
                resolveDebugConfigurationWithSubstitutedVariables: async (_folder, config) => {
                    await this.claimed(config);
                    return config;
                },
            }),
            vscode.debug.registerDebugAdapterTrackerFactory(DEBUGPY_TYPE, {
                createDebugAdapterTracker: (s) => {
                    this.debugpyStarted(s);
                    return undefined;
                },
            }),
            // A claim's own pre-launch task ended before its session started (the run
            // failed, the user aborted): its port is no longer about to be held.
            vscode.tasks.onDidEndTaskProcess((e) => {
                if (this.holds.taskEnded(taskNames(e.execution.task))) {
                    this.apply();
                }
            }),
        );
        this.timer = setInterval(() => this.refresh(), POLL_MS);
        this.refresh();
    }

    dispose(): void {
        this.disposed = true; // attach loops still waiting see it and stop
        clearInterval(this.timer);
        this.watchers.forEach((w) => w.dispose());
        this.disposables.forEach((d) => d.dispose());
        this.connections.dispose();
        this.emitter.dispose();
    }

    // -- what the view and commands read ------------------------------------------------

    runs(): FolderRun[] {
        return [...this.folders.values()].filter((f) => f.run || f.problem);
    }

    targets(): Target[] {
        return this.runs().flatMap((f) => f.run?.targets ?? []);
    }

    private known(): Known {
        return {
            sessions: this.phases, declined: this.declined, ended: this.ended,
            held: this.holds.ports(Date.now()),
        };
    }

    /** Every debug session VS Code announced (any type), for Continue All / Pause All. */
    sessions(): vscode.DebugSession[] {
        return [...this.live.values()];
    }

    state(target: Target): TargetState {
        return targetState(target, this.known());
    }

    folderOf(target: Target): vscode.WorkspaceFolder | undefined {
        return this.runs().find((f) => f.run?.id === target.run)?.folder;
    }

    ownTask(pid: number): void {
        this.taskPids.add(pid);
        this.apply();
    }

    // -- the state files ---------------------------------------------------------------

    refresh(): void {
        if (this.disposed) {
            return;
        }
        let changed = false;
        const seen = new Set<string>();
        const folders = new Set<string>();
        for (const folder of vscode.workspace.workspaceFolders ?? []) {
            const dir = path.join(folder.uri.fsPath, STATE_DIR);
            folders.add(dir);
            if (!this.watchers.has(dir)) {
                const watcher = vscode.workspace.createFileSystemWatcher(
                    new vscode.RelativePattern(folder, `${STATE_DIR}/${STATE_GLOB}`),
                );
                for (const event of [watcher.onDidCreate, watcher.onDidChange, watcher.onDidDelete]) {
                    event(() => this.refresh());
                }
                this.watchers.set(dir, watcher);
            }
            let names: string[] = [];
            try {
                names = stateFileNames(fs.readdirSync(dir));
            } catch {
                names = []; // no run has written here
            }
            for (const name of names) {
                const file = path.join(dir, name);
                seen.add(file);
                changed = this.read(folder, file) || changed;
            }
        }
        for (const file of [...this.folders.keys()]) {
            if (!seen.has(file)) {
                this.folders.delete(file);
                changed = true;
            }
        }
        for (const dir of [...this.watchers.keys()]) {
            if (!folders.has(dir)) {
                this.watchers.get(dir)?.dispose();
                this.watchers.delete(dir);
            }
        }
        // A claim or a listener's grace period ran out: what is held changed.
        const held = this.holds.ports(Date.now());
        const signature = `${[...held.connect].sort()}/${[...held.listen].sort()}`;
        if (signature !== this.heldSignature) {
            this.heldSignature = signature;
            changed = true;
        }
        if (changed) {
            this.apply();
        }
    }

    /** Read one state file if it changed; true if what it says changed. */
    private read(folder: vscode.WorkspaceFolder, file: string): boolean {
        const known = this.folders.get(file);
        let stamp: string;
        try {
            const stat = fs.statSync(file);
            if (!ownedBy(process.getuid?.(), stat.uid)) {
                if (known?.stamp !== 'foreign') {
                    this.log(`${file} belongs to another user: not read, nothing of it attached`);
                    this.folders.set(file, { folder, run: null, problem: null, stamp: 'foreign' });
                    return true;
                }
                return false;
            }
            stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
        } catch {
            stamp = 'missing';
        }
        if (known?.stamp === stamp) {
            // Unchanged; but a run killed hard leaves its file behind.
            if (known.run && !isRunProcess(known.run.pid)) {
                this.folders.set(file, { ...known, run: null, problem: this.stale(known.run, file) });
                return true;
            }
            return false;
        }
        let source: string | null = null;
        if (stamp !== 'missing') {
            try {
                source = fs.readFileSync(file, 'utf8');
            } catch {
                return false; // replaced between stat and read: the next check reads it
            }
        }
        let run: Run | null = null;
        let problem: string | null = null;
        if (source !== null) {
            try {
                run = parseState(source);
            } catch (err) {
                if (!(err instanceof StateError)) {
                    throw err;
                }
                problem = `${file}: ${err.message}`;
                this.log(`cannot read ${problem}`);
            }
        }
        if (run && !isRunProcess(run.pid)) {
            problem = this.stale(run, file);
            run = null;
        }
        this.folders.set(file, { folder, run, problem, stamp });
        return true;
    }

    /** A state file whose run is not running: nothing of it is attached. */
    private stale(run: Run, file: string): string {
        const problem = `run ${run.id} (pid ${run.pid}) is not running but left ${file}: `
            + '`smdebug-local clean` removes it';
        this.log(problem);
        return problem;
    }

    /** Attach what should be attached, end what should end, tell the view. */
    private apply(): void {
        if (this.disposed) {
            return;
        }
        const attachRuns = new Set(
            this.runs()
                .filter((f): f is FolderRun & { run: Run } => !!f.run)
                .filter((f) => vscode.workspace.getConfiguration('smdebugLocal', f.folder.uri).get('autoAttach', true)
                    || [...this.taskPids].some((p) => descendantOf(f.run.pid, p)))
                .map((f) => f.run.id),
        );
        const present = new Set([
            ...this.targets().map((t) => t.key), ...listenersOf(this.targets()).map((l) => l.key),
        ]);
        for (const key of [...this.ended, ...this.declined]) {
            if (!present.has(key)) {
                this.ended.delete(key);
                this.declined.delete(key);
            }
        }
        const { attach, listen, detach } = decide(this.targets(), this.known(), attachRuns);
        for (const target of attach) {
            void this.attach(target);
        }
        for (const listener of listen) {
            void this.listen(listener);
        }
        for (const key of detach) {
            const session = this.sessionOf(key);
            this.log(`${key}: its target left the state file; ending its session`);
            if (session) {
                void vscode.debug.stopDebugging(session);
            } else {
                this.phases.delete(key); // still connecting: the loop sees it and stops
            }
        }
        this.emitter.fire();
    }

    // -- sessions ----------------------------------------------------------------------

    private listed(key: string): boolean {
        return this.targets().some((t) => t.key === key);
    }

    /** Connect to ``target``'s adapter once it answers; null if the attach is given up
     * (the target left the state file, was detached, the extension stops, or -- for a
     * target tried again after its process ended -- its container no longer runs for
     * this run: its port may then be anyone's). */
    private connect(target: Target, port: number): Promise<Opened | null> {
        let checked = 0;
        const givenUp = async () => {
            if (this.disposed || this.phases.get(target.key) !== 'connecting' || !this.listed(target.key)) {
                return true;
            }
            if (this.ended.has(target.key) && Date.now() - checked > RECHECK_MS) {
                checked = Date.now();
                if (!target.container || !(await containerRunsFor(target.container, target.run))) {
                    this.log(`${target.label}: its container no longer runs; not attached again`);
                    return true;
                }
            }
            return false;
        };
        return openWhenReady(port, givenUp);
    }

    /** Open a session for ``target`` once its adapter answers (by hand: also a declined
     * or gone one); a connect-back target's: start its listener. */
    async attach(target: Target, byHand = false): Promise<void> {
        if (target.port === null) {
            const listener = listenersOf([target])[0];
            if (!listener) {
                return; // it connects to another IDE's debugger (PyCharm's), not to ours
            }
            const all = listenersOf(this.targets()).find((l) => l.key === listener.key);
            return this.listen(all ?? listener, byHand);
        }
        if (byHand) {
            this.declined.delete(target.key);
            this.ended.delete(target.key);
        }
        if (this.phases.has(target.key) || this.disposed) {
            this.emitter.fire();
            return;
        }
        const folder = this.folderOf(target);
        this.phases.set(target.key, 'connecting');
        this.emitter.fire();
        const opened = await this.connect(target, target.port);
        if (!opened) {
            if (this.phases.get(target.key) === 'connecting') {
                this.phases.delete(target.key);
                if (this.ended.has(target.key)) {
                    this.declined.add(target.key); // gone for good: not tried again by itself
                }
            }
            if (!this.disposed) {
                this.emitter.fire();
            }
            return;
        }
        const id = this.connections.put(opened);
        const config: vscode.DebugConfiguration = {
            type: DEBUG_TYPE,
            request: 'attach',
            name: target.label,
            connect: { host: LOOPBACK, port: target.port },
            pathMappings: target.pathMappings,
            justMyCode: false,
            target: target.key,
            __smdebugLocalConnection: id,
        };
        this.log(`${target.label}: attaching on ${LOOPBACK}:${target.port}`);
        let ok = false;
        try {
            // Never save the user's editors for an attach: in watch mode a save reruns.
            ok = await vscode.debug.startDebugging(folder, config, { suppressSaveBeforeStart: true });
        } catch (err) {
            this.log(`${target.label}: ${(err as Error).message}`);
        }
        if (!ok) {
            this.connections.drop(id);
            this.phases.delete(target.key);
            this.declined.add(target.key); // VS Code said why; do not loop on it
            this.emitter.fire();
        }
    }

    /** Start ``listener``: debugpy's adapter listening where its connect-back targets
     * connect (by hand: also a declined one). */
    async listen(listener: Listener, byHand = false): Promise<void> {
        const { key } = listener;
        if (byHand) {
            this.declined.delete(key);
            this.ended.delete(key);
        }
        const folderRun = this.runs().find((f) => f.run?.id === listener.run);
        if (listener.port === null || !folderRun?.run || this.phases.has(key) || this.disposed) {
            this.emitter.fire();
            return;
        }
        const port = listener.port;
        this.phases.set(key, 'connecting');
        this.emitter.fire();
        const giveUp = (why: string) => {
            this.log(`connect-back ${listener.address}: ${why}; not listening (Attach on its target tries again)`);
            if (this.phases.get(key) === 'connecting') {
                this.phases.delete(key);
                this.declined.add(key);
            }
            this.emitter.fire();
        };
        const host = listenHost(listener.address, await this.bridgeGateway());
        if (host === null) {
            giveUp(`no address to listen on for ${listener.address} (Docker's bridge gateway unknown)`);
            return;
        }
        const python = await adapterPython(folderRun.run.pid, () => this.finder.find(folderRun.folder, true));
        // The previous listener's adapter may still be ending; anything else there (a
        // listener of another VS Code window) keeps it.
        const deadline = Date.now() + PORT_WAIT_MS;
        let free = await portFree(host, port);
        while (!free && Date.now() < deadline && this.phases.get(key) === 'connecting' && !this.disposed) {
            await new Promise((r) => setTimeout(r, 250));
            free = await portFree(host, port);
        }
        if (this.phases.get(key) !== 'connecting' || this.disposed) {
            return; // detached, handed over or gone meanwhile
        }
        if (!free) {
            giveUp(`something else listens on ${host}:${port}`);
            return;
        }
        const labels = listener.targets.map((t) => t.label).join(', ');
        const config: vscode.DebugConfiguration = {
            type: DEBUG_TYPE,
            request: 'attach',
            name: `${labels} (connect-back)`,
            listen: { host, port },
            justMyCode: false,
            target: key,
            __smdebugLocalPython: python,
        };
        this.log(`${labels}: listening on ${host}:${port} for ${listener.address} (${python} -m debugpy.adapter)`);
        let ok = false;
        try {
            // Resolves once a container connected (VS Code answers the attach then).
            ok = await vscode.debug.startDebugging(folderRun.folder, config, { suppressSaveBeforeStart: true });
        } catch (err) {
            this.log(`${labels}: ${(err as Error).message} (debugpy's adapter: ${python} -m debugpy.adapter)`);
        }
        if (!ok) {
            this.unannounced.delete(key);
            if (this.phases.get(key) === 'connecting') {
                this.log(`${labels}: the listener ended before a container connected `
                    + `(debugpy's adapter: ${python} -m debugpy.adapter)`);
                this.phases.delete(key);
                this.declined.add(key); // VS Code said why (or it was stopped); do not loop
            }
            this.emitter.fire();
        }
    }

    private async bridgeGateway(): Promise<string | null> {
        if (!this.gateway || Date.now() - this.gateway.at > 60_000) {
            this.gateway = { address: await bridgeGateway(), at: Date.now() };
        }
        return this.gateway.address;
    }

    /** End ``target``'s sessions by the user's wish: it is not attached again by itself
     * (a connect-back target's: its listener's). */
    async detach(target: Target): Promise<void> {
        const key = target.port === null ? listenerKey(target) : target.key;
        this.declined.add(key);
        const session = this.sessionOf(key);
        if (session) {
            await vscode.debug.stopDebugging(session);
        } else {
            this.phases.delete(key); // a connect loop sees it and stops
            this.emitter.fire();
        }
    }

    /** The root session of ``key``, announced or not. */
    private sessionOf(key: string): vscode.DebugSession | undefined {
        return this.roots.get(key) ?? this.unannounced.get(key);
    }

    // -- next to the Python Debugger ---------------------------------------------------

    /** Our sessions (and connect loops) and the ports they hold or are about to. */
    private ours(): Held[] {
        const held: Held[] = [];
        for (const t of this.targets()) {
            if (t.port !== null && this.phases.has(t.key)) {
                held.push({ key: t.key, port: t.port, listen: false });
            }
        }
        for (const l of listenersOf(this.targets())) {
            if (l.port !== null && this.phases.has(l.key)) {
                held.push({ key: l.key, port: l.port, listen: true });
            }
        }
        return held;
    }

    /** VS Code resolved a "debugpy" configuration: its port is the Python Debugger's from
     * now on; a session of ours there ends first. */
    private async claimed(config: vscode.DebugConfiguration): Promise<void> {
        const claim = claimOf(config);
        if (!claim) {
            return;
        }
        this.holds.claim(claim, Date.now(), preLaunchTaskOf(config));
        const keys = handOver(claim, this.ours());
        for (const key of keys) {
            this.log(`${key}: handed over to the Python Debugger ("${config.name}" ${claim.listen ? 'listens on' : 'attaches to'} port ${claim.port})`);
            this.declined.add(key);
            const session = this.sessionOf(key);
            if (!session) {
                this.phases.delete(key); // still connecting: the loop sees it and stops
                continue;
            }
            const ended = new Promise<void>((resolve) => {
                const timer = setTimeout(() => {
                    done.dispose();
                    resolve();
                }, HANDOVER_WAIT_MS);
                const done = vscode.debug.onDidTerminateDebugSession((s) => {
                    if (s.id === session.id) {
                        clearTimeout(timer);
                        done.dispose();
                        resolve();
                    }
                });
            });
            await vscode.debug.stopDebugging(session);
            await ended;
        }
        if (claim.listen && keys.length > 0) {
            // debugpy's new adapter must be able to listen there: our adapter's process
            // lets the port go as it exits.
            const host = config.listen?.host;
            const deadline = Date.now() + PORT_WAIT_MS;
            while (typeof host === 'string' && !(await portFree(host, claim.port)) && Date.now() < deadline) {
                await new Promise((r) => setTimeout(r, 200));
            }
        }
        this.apply();
    }

    /** A "debugpy" session's adapter starts (its first start, or a restart). */
    private debugpyStarted(session: vscode.DebugSession): void {
        const claim = claimOf(session.configuration);
        if (claim) {
            this.holds.start(session.id, claim);
            this.apply();
        }
    }

    /** A "debugpy" session that held ``claim`` ended: what it held is left alone (the
     * user's debugger had it), not attached by us the moment it lets go. */
    private debugpyEnded(claim: Claim): void {
        for (const t of this.targets()) {
            if (claim.listen ? t.port === null && listenersOf([t])[0]?.port === claim.port : t.port === claim.port) {
                this.declined.add(claim.listen ? listenerKey(t) : t.key);
            }
        }
    }

    private keyOf(session: vscode.DebugSession): string | undefined {
        const key = session.configuration.target;
        return session.type === DEBUG_TYPE && typeof key === 'string' ? key : undefined;
    }

    private started(session: vscode.DebugSession): void {
        this.live.set(session.id, session);
        if (session.type === DEBUGPY_TYPE && !this.holds.has(session.id)) {
            this.debugpyStarted(session); // its adapter came before this extension did
        }
        const key = this.keyOf(session);
        if (key === undefined || session.configuration.subProcessId !== undefined) {
            this.emitter.fire();
            return;
        }
        this.unannounced.delete(key);
        this.roots.set(key, session);
        this.phases.set(key, 'attached');
        this.ended.delete(key);
        const ours = session.configuration.__smdebugLocalConnection !== undefined
            || session.configuration.__smdebugLocalPython !== undefined;
        if (this.declined.has(key) && ours) {
            void vscode.debug.stopDebugging(session); // detached (or handed over) while it was starting
        }
        this.emitter.fire();
    }

    private terminated(session: vscode.DebugSession): void {
        this.live.delete(session.id);
        const claim = this.holds.end(session.id, Date.now());
        if (claim) {
            this.debugpyEnded(claim);
            this.apply();
        }
        const key = this.keyOf(session);
        this.paused.delete(session.id);
        if (key === undefined) {
            this.emitter.fire();
            return;
        }
        if (this.unannounced.get(key)?.id === session.id) {
            this.unannounced.delete(key);
        }
        if (this.roots.get(key)?.id === session.id) {
            this.roots.delete(key);
            this.phases.delete(key);
            if (this.userEnded.has(session.id)) {
                this.declined.add(key); // the user disconnected: leave it alone
            } else {
                this.ended.add(key); // its process ended; tried while its container runs
            }
            this.log(`${session.name}: session ended (${this.ended.has(key) ? 'process gone' : 'detached'})`);
        }
        this.adapterEnded.delete(session.id);
        this.userEnded.delete(session.id);
        this.updatePaused(key);
        this.apply();
    }

    private tracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
        const key = this.keyOf(session);
        if (key !== undefined && session.configuration.subProcessId === undefined && !this.roots.has(key)) {
            this.unannounced.set(key, session);
        }
        const setPaused = (paused: boolean) => {
            if (key === undefined) {
                return;
            }
            if (paused) {
                this.paused.set(session.id, key);
            } else {
                this.paused.delete(session.id);
            }
            this.updatePaused(key);
        };
        // A connect-back listener: debugpy's adapter from this Python (src/connectback.ts).
        const python = session.configuration.subProcessId === undefined
            && typeof session.configuration.__smdebugLocalPython === 'string'
            ? session.configuration.__smdebugLocalPython as string : undefined;
        let spoke = false;
        return {
            onError: (err: Error) => {
                if (python !== undefined) {
                    this.log(`${session.name}: debugpy's adapter (${python} -m debugpy.adapter): ${err.message}`);
                }
            },
            onExit: (code: number | undefined) => {
                if (python !== undefined && !spoke && code !== undefined && code !== 0) {
                    this.log(`${session.name}: debugpy's adapter did not start: ${python} -m debugpy.adapter `
                        + `exited with code ${code} (that Python needs debugpy, which comes with smdebug-local)`);
                }
            },
            onDidSendMessage: (m: { type?: string; event?: string }) => {
                spoke = true;
                if (m.type !== 'event') {
                    return;
                }
                if (m.event === 'stopped') {
                    setPaused(true);
                } else if (m.event === 'continued') {
                    setPaused(false);
                } else if (m.event === 'terminated' || m.event === 'exited') {
                    this.adapterEnded.add(session.id);
                }
            },
            onWillReceiveMessage: (m: { type?: string; command?: string; arguments?: { restart?: boolean } }) => {
                if (m.type !== 'request') {
                    return;
                }
                // A restart disconnects too, then attaches again: not the user leaving.
                if (m.command === 'disconnect' && m.arguments?.restart !== true
                    && !this.adapterEnded.has(session.id)) {
                    this.userEnded.add(session.id);
                }
                if (STEPPING.has(m.command ?? '')) {
                    setPaused(false);
                }
            },
        };
    }

    private updatePaused(key: string): void {
        const phase = this.phases.get(key);
        if (phase === 'attached' || phase === 'paused') {
            this.phases.set(key, [...this.paused.values()].includes(key) ? 'paused' : 'attached');
        }
        if (!this.disposed) {
            this.emitter.fire();
        }
    }
}
