// TEST-ONLY stand-in for the Python Debugger extension (ms-python.debugpy), used by
// smdebug-local's real-VS Code tests (tests/vscode) because the real extension cannot be
// installed here (no marketplace). It does only what the real extension does for
// "type": "debugpy", "request": "attach" configurations, the same way (read from
// microsoft/vscode-python-debugger: src/extension/debugger/adapter/factory.ts,
// configuration/resolvers/attach.ts, hooks/childProcessAttach*.ts):
//
//   * "connect" (or legacy "host"/"port"): the debugpy adapter already listens there, so the
//     descriptor is a DebugAdapterServer(port, host);
//   * "listen" (and "processId"): debugpy's own adapter is started as an executable talking
//     DAP on stdio (the real extension runs `python <ext>/bundled/libs/debugpy/adapter`; the
//     stand-in runs `python -m debugpy.adapter` of $SMDEBUG_LOCAL_STANDIN_PYTHON); the adapter
//     then listens on listen.host:listen.port for the debuggee, as the attach request asks;
//   * child processes: on the custom event "debugpyAttach" (or the older "ptvsd_attach"), a
//     child session is started with the event's body as its configuration and the session as
//     its parent (newer debugpy uses the standard startDebugging reverse request instead,
//     which VS Code handles itself).
//
// Everything else -- launch.json validation, tasks, problem matchers, the debug UI, the DAP
// client -- is VS Code's own.
'use strict';

const fs = require('fs');
const vscode = require('vscode');

const TYPE = 'debugpy';

// Output channel "debugpy (test stand-in)", and $SMDEBUG_LOCAL_STANDIN_LOG for the tests.
function log(channel, text) {
    const line = `${new Date().toISOString()} ${text}`;
    channel.appendLine(line);
    if (process.env.SMDEBUG_LOCAL_STANDIN_LOG) {
        try {
            fs.appendFileSync(process.env.SMDEBUG_LOCAL_STANDIN_LOG, line + '\n');
        } catch (err) {
            channel.appendLine(`cannot write the log: ${err}`);
        }
    }
}

// As AttachConfigurationResolver.provideAttachDefaults (the parts that apply on Linux).
function resolveAttach(folder, config) {
    if (!Array.isArray(config.debugOptions)) {
        config.debugOptions = [];
    }
    if (!(config.connect || config.listen) && !config.host) {
        config.host = 'localhost';
    }
    if (config.justMyCode === undefined) {
        config.justMyCode = false; // debugpy.debugJustMyCode's default in the real extension
    }
    config.showReturnValue = config.showReturnValue !== false;
    config.workspaceFolder = folder ? folder.uri.fsPath : undefined;
    const option = (name) => {
        if (!config.debugOptions.includes(name)) {
            config.debugOptions.push(name);
        }
    };
    if (config.django) option('Django');
    if (config.jinja) option('Jinja');
    if (config.subProcess === true) option('Multiprocess');
    if (config.redirectOutput || config.redirectOutput === undefined) option('RedirectOutput');
    if (config.showReturnValue) option('ShowReturnValue');
    if (config.clientOS === undefined) {
        config.clientOS = 'unix';
    }
    if (Array.isArray(config.pathMappings) && config.pathMappings.length === 0) {
        delete config.pathMappings;
    }
    return config;
}

function activate(context) {
    const channel = vscode.window.createOutputChannel('debugpy (test stand-in)');
    context.subscriptions.push(channel);
    log(channel, 'activated: TEST-ONLY stand-in for ms-python.debugpy');

    context.subscriptions.push(vscode.debug.registerDebugConfigurationProvider(TYPE, {
        resolveDebugConfigurationWithSubstitutedVariables(folder, config) {
            if (config.request === 'attach') {
                resolveAttach(folder, config);
            }
            log(channel, `resolved ${JSON.stringify(config)}`);
            return config;
        },
    }));

    context.subscriptions.push(vscode.debug.registerDebugAdapterDescriptorFactory(TYPE, {
        createDebugAdapterDescriptor(session) {
            const config = session.configuration;
            if (config.request === 'attach') {
                if (config.connect !== undefined) {
                    const host = config.connect.host ?? '127.0.0.1';
                    log(channel, `Connecting to DAP Server at: ${host}:${config.connect.port}`);
                    return new vscode.DebugAdapterServer(config.connect.port, host);
                }
                if (config.port !== undefined) {
                    const host = config.host ?? '127.0.0.1';
                    log(channel, `Connecting to DAP Server at: ${host}:${config.port}`);
                    return new vscode.DebugAdapterServer(config.port, host);
                }
                if (config.listen === undefined && config.processId === undefined) {
                    throw new Error('"request":"attach" requires either "connect", "listen", or "processId"');
                }
            }
            const python = process.env.SMDEBUG_LOCAL_STANDIN_PYTHON || 'python3';
            const args = config.debugAdapterPath !== undefined
                ? [config.debugAdapterPath] : ['-m', 'debugpy.adapter'];
            if (config.logToFile && process.env.SMDEBUG_LOCAL_STANDIN_LOG_DIR) {
                args.push('--log-dir', process.env.SMDEBUG_LOCAL_STANDIN_LOG_DIR);
            }
            log(channel, `DAP Server launched with command: ${python} ${args.join(' ')}`);
            return new vscode.DebugAdapterExecutable(python, args);
        },
    }));

    context.subscriptions.push(vscode.debug.onDidReceiveDebugSessionCustomEvent(async (event) => {
        if (!event || event.session.configuration.type !== TYPE) {
            return;
        }
        if (event.event !== 'debugpyAttach' && event.event !== 'ptvsd_attach') {
            return;
        }
        const data = { ...(event.body || {}) };
        if (Object.keys(data).length === 0) {
            return;
        }
        delete data.purpose;
        const folder = (vscode.workspace.workspaceFolders || [])
            .find((ws) => ws.uri.fsPath === data.workspaceFolder) || event.session.workspaceFolder;
        log(channel, `child process: ${JSON.stringify(data)}`);
        const launched = await vscode.debug.startDebugging(folder, data, {
            parentSession: event.session,
            lifecycleManagedByParent: true,
        });
        if (!launched) {
            vscode.window.showErrorMessage(
                `Failed to launch debugger for child process ${data.subProcessId}`);
        }
    }));
}

function deactivate() {}

module.exports = { activate, deactivate };
