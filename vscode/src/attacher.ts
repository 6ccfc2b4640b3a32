// Keeps VS Code's debug sessions in step with the runs of this workspace: reads each
// folder's state file when it changes (file watcher, plus a 1 s check for changes the
// watcher misses), attaches every new target (src/decide.ts says which), ends the sessions
// of targets that left, and tracks each target's state for the view and the status bar.

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

import { DEBUG_TYPE, OpenedConnections } from './adapter';
import { LOOPBACK, openWhenReady } from './connect';
import { decide, Known, SessionPhase, targetState, TargetState } from './decide';
import { parseState, Run, STATE_DIR, STATE_FILE, StateError, Target } from './state';

const POLL_MS = 1000;

/** Whether process ``pid`` exists on this machine (owned by anyone). */
function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
}

/** One workspace folder's run, as its state file says. */
export interface FolderRun {
    folder: vscode.WorkspaceFolder;
    run: Run | null;
    /** Why the state file could not be read (shown in the view), else null. */
    problem: string | null;
}

export class Attacher implements vscode.Disposable {
    private readonly emitter = new vscode.EventEmitter<void>();
    /** Fires when runs, targets or sessions change. */
    readonly onDidChange = this.emitter.event;

    private readonly folders = new Map<string, FolderRun & { stamp: string }>();
    private readonly phases = new Map<string, SessionPhase>();
    private readonly roots = new Map<string, vscode.DebugSession>();
    private readonly paused = new Map<string, string>(); // session id -> target key
    private readonly declined = new Set<string>();
    private readonly ended = new Set<string>();
    /** Sessions the user ended (VS Code asked the adapter to disconnect before the
     * adapter said its process ended): their target is not attached again by itself. */
    private readonly userEnded = new Set<string>();
    private readonly adapterEnded = new Set<string>();
    /** Runs started by "Debug Script": attached even with autoAttach off. */
    private readonly ownPids = new Set<number>();
    private readonly disposables: vscode.Disposable[] = [];
    private readonly timer: NodeJS.Timeout;

    constructor(
        private readonly connections: OpenedConnections,
        private readonly log: (line: string) => void,
    ) {
        const watcher = vscode.workspace.createFileSystemWatcher(`**/${STATE_DIR}/${STATE_FILE}`);
        for (const event of [watcher.onDidCreate, watcher.onDidChange, watcher.onDidDelete]) {
            this.disposables.push(event(() => this.refresh()));
        }
        this.disposables.push(
            watcher,
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
        );
        this.timer = setInterval(() => this.refresh(), POLL_MS);
        this.refresh();
    }

    dispose(): void {
        clearInterval(this.timer);
        this.disposables.forEach((d) => d.dispose());
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
        return { sessions: this.phases, declined: this.declined, ended: this.ended };
    }

    state(target: Target): TargetState {
        return targetState(target, this.known());
    }

    folderOf(target: Target): vscode.WorkspaceFolder | undefined {
        return this.runs().find((f) => f.run?.id === target.run)?.folder;
    }

    ownRun(pid: number): void {
        this.ownPids.add(pid);
        this.apply();
    }

    // -- the state files ---------------------------------------------------------------

    refresh(): void {
        let changed = false;
        const seen = new Set<string>();
        for (const folder of vscode.workspace.workspaceFolders ?? []) {
            const file = path.join(folder.uri.fsPath, STATE_DIR, STATE_FILE);
            seen.add(file);
            let stamp = '';
            let source: string | null = null;
            try {
                const stat = fs.statSync(file);
                stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
            } catch {
                stamp = 'missing';
            }
            if (this.folders.get(file)?.stamp === stamp) {
                continue;
            }
            if (stamp !== 'missing') {
                try {
                    source = fs.readFileSync(file, 'utf8');
                } catch {
                    continue; // replaced between stat and read: the next check reads it
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
            if (run && !alive(run.pid)) {
                // A run that crashed leaves its file: nothing of it is attached.
                problem = `run ${run.id} (pid ${run.pid}) has ended but left ${file}: `
                    + '`smdebug-local clean` removes it';
                this.log(problem);
                run = null;
            }
            this.folders.set(file, { folder, run, problem, stamp });
            changed = true;
        }
        for (const file of [...this.folders.keys()]) {
            if (!seen.has(file)) {
                this.folders.delete(file);
                changed = true;
            }
        }
        if (changed) {
            this.apply();
        }
    }

    /** Attach what should be attached, end what should end, tell the view. */
    private apply(): void {
        const autoAttach = vscode.workspace.getConfiguration('smdebugLocal').get('autoAttach', true);
        const own = new Set(this.runs().filter((f) => f.run && this.ownPids.has(f.run.pid)).map((f) => f.run!.id));
        const present = new Set(this.targets().map((t) => t.key));
        for (const key of [...this.ended, ...this.declined]) {
            if (!present.has(key)) {
                this.ended.delete(key);
                this.declined.delete(key);
            }
        }
        const { attach, detach } = decide(this.targets(), this.known(), autoAttach, own);
        for (const target of attach) {
            void this.attach(target);
        }
        for (const key of detach) {
            const session = this.roots.get(key);
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

    /** Open a session for ``target`` once its adapter answers (by hand: also a declined one). */
    async attach(target: Target, byHand = false): Promise<void> {
        if (target.port === null || this.phases.has(target.key)) {
            return;
        }
        if (byHand) {
            this.declined.delete(target.key);
        }
        const folder = this.folderOf(target);
        this.phases.set(target.key, 'connecting');
        this.emitter.fire();
        const gave_up = () => this.phases.get(target.key) !== 'connecting'
            || !this.targets().some((t) => t.key === target.key);
        const opened = await openWhenReady(target.port, gave_up);
        if (!opened) {
            if (this.phases.get(target.key) === 'connecting') {
                this.phases.delete(target.key);
            }
            this.emitter.fire();
            return;
        }
        // The port may have been released since (the run retired the container): attach
        // only if the state file, read again now, still lists this target. Another run's
        // container on the same port takes seconds to answer; this check takes none.
        this.refresh();
        if (!this.targets().some((t) => t.key === target.key)) {
            opened.socket.destroy();
            this.phases.delete(target.key);
            this.emitter.fire();
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
            ok = await vscode.debug.startDebugging(folder, config);
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

    /** End ``target``'s sessions by the user's wish: it is not attached again by itself. */
    async detach(target: Target): Promise<void> {
        this.declined.add(target.key);
        const session = this.roots.get(target.key);
        if (session) {
            await vscode.debug.stopDebugging(session);
        } else {
            this.phases.delete(target.key);
            this.emitter.fire();
        }
    }

    private keyOf(session: vscode.DebugSession): string | undefined {
        const key = session.configuration.target;
        return session.type === DEBUG_TYPE && typeof key === 'string' ? key : undefined;
    }

    private started(session: vscode.DebugSession): void {
        const key = this.keyOf(session);
        if (key === undefined || session.configuration.subProcessId !== undefined) {
            return;
        }
        this.roots.set(key, session);
        this.phases.set(key, 'attached');
        this.ended.delete(key);
        this.emitter.fire();
    }

    private terminated(session: vscode.DebugSession): void {
        const key = this.keyOf(session);
        this.paused.delete(session.id);
        if (key === undefined) {
            return;
        }
        if (this.roots.get(key)?.id === session.id) {
            this.roots.delete(key);
            this.phases.delete(key);
            if (this.userEnded.has(session.id)) {
                this.declined.add(key); // the user disconnected: leave it alone
            } else {
                this.ended.add(key); // its process ended; tried again (a worker may restart)
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
        return {
            onDidSendMessage: (m: { type?: string; event?: string }) => {
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
            onWillReceiveMessage: (m: { type?: string; command?: string }) => {
                if (m.type === 'request' && m.command === 'disconnect'
                    && !this.adapterEnded.has(session.id)) {
                    this.userEnded.add(session.id);
                }
                if (m.type === 'request' && ['continue', 'next', 'stepIn', 'stepOut', 'stepBack',
                    'reverseContinue', 'goto'].includes(m.command ?? '')) {
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
        this.emitter.fire();
    }
}
