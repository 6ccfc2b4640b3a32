// Which run a command acts on: the Targets view row's, this workspace's only one, or the
// user's pick (Stop Run, Continue All, Pause All share it).

import * as vscode from 'vscode';

import type { Attacher, FolderRun } from './attacher';
import type { Node } from './view';

/** The run to act on; 'none' when there is no run, undefined when the pick was dismissed
 * (Escape). ``placeHolder``: the question the pick asks. */
export async function pickRun(
    attacher: Attacher, node: Node | undefined, placeHolder: string,
): Promise<FolderRun | 'none' | undefined> {
    if (node?.kind === 'run') {
        return node.run;
    }
    const runs = attacher.runs().filter((r) => r.run);
    if (runs.length <= 1) {
        return runs[0] ?? 'none';
    }
    const picked = await vscode.window.showQuickPick(
        runs.map((r) => ({ label: r.run!.script || r.run!.id, description: `${r.folder.name} · pid ${r.run!.pid}`, r })),
        { placeHolder },
    );
    return picked?.r;
}
