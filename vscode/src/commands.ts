// The commands: Debug Script (with Watch) runs `smdebug-local run` on the active driver
// script in a task (its sessions are attached even with autoAttach off), Stop Run ends a
// run (its containers are removed, as with Ctrl-C), Show Stacks opens every thread's stack of
// a run's (or a target's) processes, Attach to Target... picks a target.
// The view's context actions (attach, detach, open mapping, copy address) live here too.

import { execFile } from 'child_process';
import * as path from 'path';
import * as vscode from 'vscode';

import type { Attacher } from './attacher';
import { runArgs, shown } from './command';
import type { CommandFinder } from './findCommand';
import { pickRun } from './pickrun';
import { descendantOf, isRunProcess } from './processes';
import { Ended, STACKS_MS, stacksCommand, stacksShown } from './stacks';
import type { Target } from './state';
import type { Node } from './view';

const TASK_SOURCE = 'smdebug-local';
/** Contributed in package.json (taskDefinitions): a run of a script, with or without watch. */
const TASK_TYPE = 'smdebug-local';
/** Show Stacks' output kept at most (Node's default, 1 MiB, is a few hundred threads). */
const STACKS_OUTPUT = 16 * 1024 * 1024;

/** Runs `line` without a shell, in `cwd`, for Show Stacks: how it ended (never rejects). */
function runStacks(line: readonly string[], cwd: string): Promise<Ended> {
    return new Promise((resolve) => {
        execFile(line[0], line.slice(1), { cwd, timeout: STACKS_MS, maxBuffer: STACKS_OUTPUT, windowsHide: true },
            (err, stdout, stderr) => resolve({
                code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
                errno: typeof err?.code === 'string' ? err.code : undefined,
                timedOut: err?.killed === true && typeof err.code !== 'string',
                message: err?.message,
                stdout,
                stderr,
            }));
    });
}

export class Commands implements vscode.Disposable {
    /** Tasks started by Debug Script, by the pid of the task's process (smdebug-local, or a
     * wrapper such as `uv run` that starts it: runs are matched through the process tree). */
    private readonly tasks = new Map<number, vscode.TaskExecution>();
    private readonly disposables: vscode.Disposable[] = [];
    constructor(
        private readonly attacher: Attacher,
        private readonly log: (line: string) => void,
        /** How to start smdebug-local (smdebugLocal.command, or found by itself). */
        private readonly finder: CommandFinder,
    ) {
        const register = (id: string, fn: (...args: never[]) => unknown) =>
            this.disposables.push(vscode.commands.registerCommand(id, fn));
        register('smdebugLocal.debugScript', () => this.debugScript(false));
        register('smdebugLocal.debugScriptWatch', () => this.debugScript(true));
        register('smdebugLocal.stopRun', (node?: Node) => this.stopRun(node));
        register('smdebugLocal.showStacks', (node?: Node) => this.showStacks(node));
        register('smdebugLocal.attachTarget', () => this.attachTarget());
        register('smdebugLocal.attach', (node: Node) => this.withTarget(node, (t) => attacher.attach(t, true)));
        register('smdebugLocal.detach', (node: Node) => this.withTarget(node, (t) => attacher.detach(t)));
        register('smdebugLocal.openMapping', (node: Node) => this.withTarget(node, (t) => this.openMapping(t)));
        register('smdebugLocal.copyAddress', (node: Node) =>
            this.withTarget(node, (t) => vscode.env.clipboard.writeText(t.address)));
        this.disposables.push(
            vscode.tasks.onDidStartTaskProcess((e) => {
                if (e.execution.task.source === TASK_SOURCE && e.processId !== undefined) {
                    this.tasks.set(e.processId, e.execution);
                    attacher.ownTask(e.processId);
                }
            }),
            vscode.tasks.onDidEndTaskProcess((e) => {
                for (const [pid, execution] of this.tasks) {
                    if (execution === e.execution) {
                        this.tasks.delete(pid);
                    }
                }
            }),
        );
    }

    dispose(): void {
        this.disposables.forEach((d) => d.dispose());
    }

    private async withTarget(node: Node | undefined, fn: (t: Target) => unknown): Promise<void> {
        if (node?.kind === 'target') {
            await fn(node.target);
        }
    }

    private async debugScript(watch: boolean): Promise<void> {
        const editor = vscode.window.activeTextEditor;
        const file = editor?.document.uri;
        if (!file || file.scheme !== 'file' || !file.fsPath.endsWith('.py')) {
            void vscode.window.showErrorMessage(
                'smdebug-local: open the driver script (the .py file that calls fit() or deploy()) and run the command again',
            );
            return;
        }
        const folder = vscode.workspace.getWorkspaceFolder(file);
        if (!folder) {
            void vscode.window.showErrorMessage(
                `smdebug-local: ${path.basename(file.fsPath)} is not in a workspace folder; open its folder first`,
            );
            return;
        }
        await editor?.document.save();
        const command = await this.finder.find(folder);
        if (!command) {
            return; // the finder said why
        }
        const settings = vscode.workspace.getConfiguration('smdebugLocal', folder);
        const extra = settings.get<string[]>('runArgs', []);
        const script = path.relative(folder.uri.fsPath, file.fsPath);
        const args = [...command.slice(1), ...runArgs(watch, extra, script)];
        const task = new vscode.Task(
            { type: TASK_TYPE, script, watch },
            folder,
            `run ${script}${watch ? ' (watch)' : ''}`,
            TASK_SOURCE,
            new vscode.ProcessExecution(command[0], args, { cwd: folder.uri.fsPath }),
        );
        task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated };
        this.log(`Debug Script: ${shown([command[0], ...args])} (in ${folder.uri.fsPath})`);
        await vscode.tasks.executeTask(task);
    }


    private async stopRun(node?: Node): Promise<void> {
        const picked = await pickRun(this.attacher, node, 'Stop which smdebug-local run?');
        if (picked === undefined) {
            return; // dismissed
        }
        const run = picked === 'none' ? null : picked.run;
        if (!run) {
            void vscode.window.showInformationMessage('smdebug-local: no run in this workspace to stop');
            return;
        }
        const execution = [...this.tasks].find(([pid]) => descendantOf(run.pid, pid))?.[1];
        this.log(`Stop Run: ${run.script} (pid ${run.pid})`);
        if (execution) {
            execution.terminate(); // SIGHUP: the run removes its containers, as on Ctrl-C
            return;
        }
        if (!isRunProcess(run.pid)) {
            void vscode.window.showInformationMessage(`smdebug-local: run ${run.id} has already ended`);
            return;
        }
        try {
            process.kill(run.pid, 'SIGINT'); // a run started elsewhere: as Ctrl-C in its terminal
        } catch (err) {
            void vscode.window.showErrorMessage(
                `smdebug-local: cannot stop run ${run.id} (pid ${run.pid}): ${(err as Error).message}; `
                + 'run `smdebug-local clean` to remove its containers',
            );
        }
    }

    /** `smdebug-local stacks` on a run (the view's row, this workspace's only one, or a
     * pick) or on a target (its service's processes only); its text in an editor beside. */
    private async showStacks(node?: Node): Promise<void> {
        const picked = node?.kind === 'target'
            ? node.run
            : await pickRun(this.attacher, node, 'Show the stacks of which smdebug-local run?');
        if (picked === 'none') {
            void vscode.window.showInformationMessage('smdebug-local: no run in this workspace');
            return;
        }
        const run = picked?.run;
        if (!picked || !run) {
            return; // dismissed, or a row whose state file is not used (the view says why)
        }
        const command = await this.finder.find(picked.folder);
        if (!command) {
            return; // the finder said why
        }
        const cwd = picked.folder.uri.fsPath;
        const line = stacksCommand(command, {
            folder: cwd, run: run.id, service: node?.kind === 'target' ? node.target.service : undefined,
        });
        this.log(`Show Stacks: ${shown(line)}`);
        const ended = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Window, title: 'smdebug-local: reading stacks' },
            () => runStacks(line, cwd),
        );
        const result = stacksShown(line, ended);
        if (!result.ok) {
            this.log(result.message);
            void vscode.window.showErrorMessage(result.message);
            return;
        }
        const document = await vscode.workspace.openTextDocument({ content: result.text, language: 'plaintext' });
        await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: false });
    }

    private async attachTarget(): Promise<void> {
        const targets = this.attacher.targets().filter((t) => t.port !== null);
        if (targets.length === 0) {
            void vscode.window.showInformationMessage(
                'smdebug-local: nothing to attach: no run in this workspace lists a debug target',
            );
            return;
        }
        const picked = await vscode.window.showQuickPick(
            targets.map((t) => ({ label: t.label, description: `${t.address} · ${this.attacher.state(t)}`, t })),
            { placeHolder: 'Attach to which debug target?' },
        );
        if (picked) {
            await this.attacher.attach(picked.t, true);
        }
    }

    private async openMapping(target: Target): Promise<void> {
        const mapping = target.pathMappings[0];
        if (!mapping) {
            void vscode.window.showInformationMessage(`smdebug-local: ${target.label} has no path mapping (its code is on this machine)`);
            return;
        }
        await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(mapping.localRoot));
        void vscode.window.showInformationMessage(
            `smdebug-local: ${target.label}: ${target.pathMappings.map((m) => `${m.localRoot} → ${m.remoteRoot}`).join('; ')}`,
        );
    }
}
