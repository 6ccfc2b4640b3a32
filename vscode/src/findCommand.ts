// The machine's answers for src/command.ts (settings, workspace trust, files, PATH, the Python
// extension, a Python import), and what the user is told: which command is used and why, in
// the output channel once (again when it changes), or one error message naming the fix.

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as vscode from 'vscode';

import { Host, resolveCommand } from './command';

const PYTHON_EXTENSION = 'ms-python.python';
/** How long the Python extension may take to activate, and an interpreter to import. */
const ACTIVATE_MS = 15_000;
const IMPORT_MS = 20_000;

function isFile(file: string): boolean {
    try {
        if (!fs.statSync(file).isFile()) {
            return false;
        }
        if (process.platform !== 'win32') {
            fs.accessSync(file, fs.constants.X_OK);
        }
        return true;
    } catch {
        return false;
    }
}

function within<T>(promise: Thenable<T>, ms: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms);
        Promise.resolve(promise).then(
            (v) => { clearTimeout(timer); resolve(v); },
            (e) => { clearTimeout(timer); reject(e instanceof Error ? e : new Error(String(e))); },
        );
    });
}

async function pythonApi(): Promise<unknown> {
    const extension = vscode.extensions.getExtension(PYTHON_EXTENSION);
    if (!extension) {
        return null;
    }
    return extension.isActive ? extension.exports : within(extension.activate(), ACTIVATE_MS, 'activating it');
}

export class CommandFinder {
    /** The last message logged for each folder: said once, again only when it changes. */
    private readonly said = new Map<string, string>();

    constructor(private readonly log: (line: string) => void) {}

    /** The command that starts smdebug-local for `folder`, or undefined (the user was told:
     * in the output channel, and with an error message unless `quiet`). */
    async find(folder: vscode.WorkspaceFolder, quiet = false): Promise<string[] | undefined> {
        const inspected = vscode.workspace.getConfiguration('smdebugLocal', folder.uri).inspect<unknown>('command');
        const host: Host = {
            platform: process.platform,
            folder: folder.uri.fsPath,
            resource: folder.uri,
            trusted: vscode.workspace.isTrusted,
            setting: {
                user: inspected?.globalValue,
                workspace: inspected?.workspaceValue,
                folder: inspected?.workspaceFolderValue,
            },
            env: { PATH: process.env.PATH, PATHEXT: process.env.PATHEXT },
            isFile,
            pythonApi,
            imports: (python) => new Promise((resolve) => {
                execFile(python, ['-c', 'import smdebug_local'], { cwd: folder.uri.fsPath, timeout: IMPORT_MS },
                    (err) => resolve(!err));
            }),
        };
        const found = await resolveCommand(host);
        if (this.said.get(folder.uri.fsPath) !== found.message) {
            this.said.set(folder.uri.fsPath, found.message);
            this.log(found.message);
        }
        if (found.ok || quiet) {
            return found.ok ? found.command : undefined;
        }
        void vscode.window.showErrorMessage(found.message, 'Open Settings').then((choice) => {
            if (choice) {
                void vscode.commands.executeCommand('workbench.action.openSettings', 'smdebugLocal.command');
            }
        });
        return undefined;
    }
}
