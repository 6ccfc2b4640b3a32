// The "smdebug-local Targets" view in Run and Debug (one node per run of this workspace,
// a child per debug target with its state) and the status-bar summary.

import * as vscode from 'vscode';

import type { Attacher, FolderRun } from './attacher';
import { summary, TargetState } from './decide';
import type { Target } from './state';

/** A target's node carries its run: Show Stacks on it needs the run's folder and id. */
export type Node = { kind: 'run'; run: FolderRun } | { kind: 'target'; target: Target; run: FolderRun };

const ICONS: Record<TargetState, string> = {
    waiting: 'debug-pause',
    listening: 'radio-tower',
    connecting: 'sync~spin',
    attached: 'debug-alt',
    paused: 'debug-stackframe-focused',
    gone: 'circle-slash',
    'held by debugpy': 'debug-alt-small',
    awaiting: 'sync~spin',
    'connects back': 'debug-disconnect',
};

export class TargetsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
    private readonly emitter = new vscode.EventEmitter<Node | undefined>();
    readonly onDidChangeTreeData = this.emitter.event;
    private readonly status: vscode.StatusBarItem;
    private readonly subscription: vscode.Disposable;

    constructor(private readonly attacher: Attacher) {
        this.status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
        this.status.name = 'smdebug-local';
        this.status.command = 'workbench.view.debug';
        this.subscription = attacher.onDidChange(() => this.update());
        this.update();
    }

    dispose(): void {
        this.subscription.dispose();
        this.status.dispose();
        this.emitter.dispose();
    }

    private update(): void {
        this.emitter.fire(undefined);
        const targets = this.attacher.targets();
        if (targets.length === 0 && this.attacher.runs().length === 0) {
            this.status.hide();
            return;
        }
        this.status.text = `$(debug) ${summary(targets.map((t) => this.attacher.state(t)))}`;
        this.status.tooltip = 'smdebug-local: debug targets of this workspace\'s run (click: Run and Debug)';
        this.status.show();
    }

    getChildren(node?: Node): Node[] {
        if (!node) {
            return this.attacher.runs().map((run) => ({ kind: 'run', run }));
        }
        if (node.kind === 'run') {
            return (node.run.run?.targets ?? []).map((target) => ({ kind: 'target', target, run: node.run }));
        }
        return [];
    }

    getTreeItem(node: Node): vscode.TreeItem {
        if (node.kind === 'run') {
            const { run, problem, folder } = node.run;
            const item = new vscode.TreeItem(
                run ? run.script || run.id : folder.name,
                vscode.TreeItemCollapsibleState.Expanded,
            );
            item.id = `run:${folder.uri.toString()}:${run?.id ?? 'problem'}`;
            item.contextValue = run ? 'run' : 'problem';
            item.description = run ? `${folder.name} · pid ${run.pid}` : problem ?? '';
            item.tooltip = run
                ? `run ${run.id} (pid ${run.pid}) of ${run.script} in ${folder.uri.fsPath}`
                : problem ?? undefined;
            item.iconPath = new vscode.ThemeIcon(run ? 'server-process' : 'warning');
            return item;
        }
        const t = node.target;
        const state = this.attacher.state(t);
        const item = new vscode.TreeItem(t.label, vscode.TreeItemCollapsibleState.None);
        item.id = `target:${t.key}`;
        item.description = `${state} · ${t.address}`;
        item.iconPath = new vscode.ThemeIcon(ICONS[state]);
        // Attach / Detach: a connect-back target's start / stop its run's listener. A
        // target a "debugpy" session holds has neither (that session is the user's).
        item.contextValue = state === 'held by debugpy' ? 'target.held'
            : state === 'attached' || state === 'paused' || state === 'connecting' || state === 'awaiting'
                ? 'target.attached' : 'target.detached';
        const mappings = t.pathMappings.map((m) => `${m.localRoot} → ${m.remoteRoot}`);
        item.tooltip = [
            `${t.label}: ${state}`,
            `job: ${t.job ?? '-'}`,
            `container: ${t.container ?? '- (this machine)'}`,
            `address: ${t.address}`,
            ...mappings.map((m) => `mapping: ${m}`),
        ].join('\n');
        return item;
    }
}
