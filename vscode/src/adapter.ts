// The "smdebug-local" debug type: VS Code talks DAP straight to the debugpy adapter running
// in the container, over a loopback connection (src/connect.ts) -- no Python Debugger
// extension involved, so what the tests drive in a VS Code without it is what users run.
//
// Sessions of this type are attach sessions with ``connect.port``. The adapter's processes
// spawned by a debugged process (DataLoader workers, multiprocessing, ...) arrive as the
// "startDebugging" reverse request, which VS Code itself turns into a child session of the
// same type and configuration plus "subProcessId" (debugpy sends its older "debugpyAttach"
// event only to clients that do not announce supportsStartDebuggingRequest; VS Code does).
// Each child opens one more connection to the same port.
//
// A connect-back listener (src/connectback.ts) is a session of this type too, with
// "listen" instead of "connect": its adapter is debugpy's own, run from the Python in
// ``__smdebugLocalPython``, and the containers' debugpy connects to it. Its child
// sessions come back as "startDebugging" with "connect" (the port debugpy's adapter
// listens on for them).

import * as vscode from 'vscode';

import { openWhenReady, Opened, LOOPBACK } from './connect';
import { encode, FrameParser } from './dap';

export const DEBUG_TYPE = 'smdebug-local';
/** How long a session started by hand (or a child) waits for the adapter to answer. */
const ATTACH_TIMEOUT_MS = 30_000;

/** DAP over an already-open socket (VS Code's inline adapter interface). */
export class SocketAdapter implements vscode.DebugAdapter {
    private readonly emitter = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
    readonly onDidSendMessage = this.emitter.event;
    private readonly parser = new FrameParser();
    private closed = false;

    constructor(private readonly opened: Opened, private readonly log: (line: string) => void) {
        const { socket } = opened;
        socket.on('data', (chunk: Buffer) => this.receive(chunk));
        socket.on('close', () => this.ended('the debug adapter closed the connection'));
        socket.on('error', (err) => this.ended(`connection error: ${err.message}`));
        // Deliver what arrived while the connection was being checked, then the rest.
        setImmediate(() => {
            for (const chunk of opened.head) {
                this.receive(chunk);
            }
            socket.resume();
        });
    }

    private receive(chunk: Buffer): void {
        try {
            for (const message of this.parser.feed(chunk)) {
                this.emitter.fire(message as vscode.DebugProtocolMessage);
            }
        } catch (err) {
            this.log(`unreadable DAP from the adapter: ${(err as Error).message}`);
            this.opened.socket.destroy();
        }
    }

    /** The container's process (or the container) went: the session ends. */
    private ended(reason: string): void {
        if (this.closed) {
            return;
        }
        this.closed = true;
        this.log(reason);
        this.emitter.fire({ type: 'event', event: 'terminated', seq: 0 } as vscode.DebugProtocolMessage);
    }

    handleMessage(message: vscode.DebugProtocolMessage): void {
        if (!this.closed) {
            this.opened.socket.write(encode(message));
            return;
        }
        // The adapter is gone: answer VS Code's requests (its "disconnect" above all) so
        // the session ends now, not after VS Code's timeout.
        const request = message as { type?: string; seq?: number; command?: string };
        if (request.type === 'request') {
            this.emitter.fire({
                type: 'response', seq: 0, request_seq: request.seq, command: request.command,
                success: true,
            } as vscode.DebugProtocolMessage);
        }
    }

    dispose(): void {
        this.closed = true;
        this.opened.socket.destroy();
        this.emitter.dispose();
    }
}

/**
 * Connections already opened by the attacher (it waits for the adapter before starting a
 * session), by the id it puts in the configuration's ``__smdebugLocalConnection``.
 */
export class OpenedConnections {
    private next = 1;
    private readonly byId = new Map<number, Opened>();

    put(opened: Opened): number {
        const id = this.next++;
        this.byId.set(id, opened);
        return id;
    }

    take(id: unknown): Opened | undefined {
        if (typeof id !== 'number') {
            return undefined;
        }
        const opened = this.byId.get(id);
        this.byId.delete(id);
        return opened;
    }

    /** A connection whose session never started (startDebugging failed). */
    drop(id: number): void {
        this.take(id)?.socket.destroy();
    }

    dispose(): void {
        for (const opened of this.byId.values()) {
            opened.socket.destroy();
        }
        this.byId.clear();
    }
}

export function portOfConfiguration(config: vscode.DebugConfiguration): number | undefined {
    const port = config.connect?.port ?? config.port;
    return typeof port === 'number' ? port : undefined;
}

export class AdapterFactory implements vscode.DebugAdapterDescriptorFactory {
    constructor(
        private readonly connections: OpenedConnections,
        private readonly log: (line: string) => void,
    ) {}

    async createDebugAdapterDescriptor(
        session: vscode.DebugSession,
    ): Promise<vscode.DebugAdapterDescriptor> {
        const config = session.configuration;
        if (config.listen !== undefined && config.subProcessId === undefined) {
            const python = typeof config.__smdebugLocalPython === 'string'
                ? config.__smdebugLocalPython : 'python3';
            this.log(`${session.name}: debugpy's adapter (${python} -m debugpy.adapter) listens on `
                + `${config.listen?.host}:${config.listen?.port}`);
            return new vscode.DebugAdapterExecutable(python, ['-m', 'debugpy.adapter']);
        }
        let opened = this.connections.take(config.__smdebugLocalConnection);
        if (!opened) {
            const port = portOfConfiguration(config);
            if (port === undefined) {
                throw new Error('an "smdebug-local" configuration needs "connect": {"port": N}');
            }
            this.log(`${session.name}: connecting to ${LOOPBACK}:${port}`);
            opened = (await openWhenReady(port, () => false, ATTACH_TIMEOUT_MS)) ?? undefined;
            if (!opened) {
                throw new Error(
                    `no debug adapter answered on ${LOOPBACK}:${port} within `
                    + `${ATTACH_TIMEOUT_MS / 1000} s: is the run still going? `
                    + '(`smdebug-local status` lists what can be attached)',
                );
            }
        }
        this.log(`${session.name}: connected to ${LOOPBACK}:${opened.socket.remotePort}`);
        return new vscode.DebugAdapterInlineImplementation(new SocketAdapter(opened, this.log));
    }
}
