// smdebug-local for VS Code: the debug targets of this workspace's runs in a view, a debug
// session attached to each (loopback only) as it appears, commands to start and stop runs
// and to continue or pause all of a run's sessions at once. The run itself is
// smdebug-local's (`smdebug-local run`); this extension reads its state file
// (<folder>/.smdebug-local/state.json) and never starts containers.

import * as fs from 'fs';
import * as vscode from 'vscode';

import { AdapterFactory, DEBUG_TYPE, OpenedConnections } from './adapter';
import { Attacher } from './attacher';
import { Commands } from './commands';
import { CommandFinder } from './findCommand';
import { RunControl } from './runcontrol';
import { TargetsView } from './view';

export function activate(context: vscode.ExtensionContext): void {
    const channel = vscode.window.createOutputChannel('smdebug-local');
    // SMDEBUG_LOCAL_EXTENSION_LOG: a copy of the channel in a file (for tests and bug reports).
    const file = process.env.SMDEBUG_LOCAL_EXTENSION_LOG;
    const log = (text: string) => {
        const line = `${new Date().toISOString()} ${text}`;
        channel.appendLine(line);
        if (file) {
            try {
                fs.appendFileSync(file, line + '\n');
            } catch {
                // the channel has it
            }
        }
    };
    const connections = new OpenedConnections();
    // How Debug Script starts smdebug-local; a connect-back listener's Python may come from it.
    const finder = new CommandFinder(log);
    const attacher = new Attacher(connections, log, finder);
    const view = new TargetsView(attacher);
    context.subscriptions.push(
        channel,
        vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new AdapterFactory(connections, log)),
        attacher,
        view,
        vscode.window.registerTreeDataProvider('smdebugLocal.targets', view),
        new Commands(attacher, log, finder),
        new RunControl(attacher, log),
    );
    log(`activated (${vscode.version})`);
}

export function deactivate(): void {}
