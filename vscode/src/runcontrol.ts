// "Continue All" / "Pause All": every debug session of a run at once -- all its
// containers, ranks and model-server workers, their child processes, its connect-back
// listener's debuggee, and a Python Debugger session on one of its ports. On the run's row
// in the Targets view (inline), and in the Command Palette (this workspace's run; with
// several, a pick). Which sessions: src/runsessions.ts (pure).
//
// Each session gets the DAP request itself (what VS Code's own Continue sends to one
// session): "continue" / "pause" with a thread of that session's. debugpy's adapter makes
// both act on every thread of the process (it sets "threadId": "*"), and its "continued" /
// "stopped" events update VS Code's Call Stack.

import * as vscode from 'vscode';

import { DEBUG_TYPE } from './adapter';
import type { Attacher } from './attacher';
import { listenersOf } from './decide';
import { pickRun } from './pickrun';
import { outcome, sessionsOfRun } from './runsessions';
import type { Node } from './view';

/** How long one session may take to answer. */
const ANSWER_MS = 5000;

type Verb = 'continue' | 'pause';

function within<T>(promise: Thenable<T>, ms: number): Promise<T> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
        promise.then(
            (value) => {
                clearTimeout(timer);
                resolve(value);
            },
            (err) => {
                clearTimeout(timer);
                reject(err);
            },
        );
    });
}

export class RunControl implements vscode.Disposable {
    private readonly disposables: vscode.Disposable[];

    constructor(private readonly attacher: Attacher, private readonly log: (line: string) => void) {
        this.disposables = [
            vscode.commands.registerCommand('smdebugLocal.continueAll', (node?: Node) => this.all('continue', node)),
            vscode.commands.registerCommand('smdebugLocal.pauseAll', (node?: Node) => this.all('pause', node)),
        ];
    }

    dispose(): void {
        this.disposables.forEach((d) => d.dispose());
    }


    private async all(verb: Verb, node?: Node): Promise<void> {
        const picked = await pickRun(
            this.attacher, node,
            `${verb === 'continue' ? 'Continue' : 'Pause'} the debug sessions of which smdebug-local run?`,
        );
        if (picked === 'none') {
            void vscode.window.showInformationMessage('smdebug-local: no run in this workspace');
            return;
        }
        const run = picked?.run;
        if (!run) {
            return; // dismissed, or a row whose state file is not used (the view says why)
        }
        const sessions = this.attacher.sessions();
        const ids = sessionsOfRun(
            sessions.map((s) => ({
                id: s.id, type: s.type, configuration: s.configuration, parentId: s.parentSession?.id,
            })),
            {
                run: run.id,
                connect: new Set(run.targets.flatMap((t) => (t.port === null ? [] : [t.port]))),
                listen: new Set(listenersOf(run.targets).flatMap((l) => (l.port === null ? [] : [l.port]))),
            },
            DEBUG_TYPE,
        );
        const chosen = sessions.filter((s) => ids.includes(s.id));
        const results = await Promise.allSettled(chosen.map((s) => this.request(s, verb)));
        const failed = results.filter((r) => r.status === 'rejected').length;
        const done = results.filter((r) => r.status === 'fulfilled' && r.value).length;
        results.forEach((r, i) => {
            if (r.status === 'rejected') {
                this.log(`${verb} ${chosen[i].name}: ${(r.reason as Error).message}`);
            }
        });
        const text = outcome(verb === 'continue' ? 'continued' : 'paused', run.script, done, failed);
        this.log(text);
        vscode.window.setStatusBarMessage(text, 8000);
    }

    /** "continue" / "pause" to one session, with one of its threads (debugpy acts on
     * all); false if it has no thread (a process still starting or ending). */
    private async request(session: vscode.DebugSession, verb: Verb): Promise<boolean> {
        const answer = await within(session.customRequest('threads'), ANSWER_MS) as { threads?: { id: number }[] };
        const threadId = answer?.threads?.[0]?.id;
        if (threadId === undefined) {
            return false;
        }
        await within(session.customRequest(verb, { threadId }), ANSWER_MS);
        return true;
    }
}
