// Opening a connection to a container's debugpy adapter once it really answers.
//
// The state file lists a container as soon as local mode starts it, before debugpy listens
// inside. Docker's port proxy accepts a TCP connection on the published port even then, and
// drops it a moment later; a DebugAdapterServer pointed at it would start a session that
// ends at once. So a connection counts only when the adapter's first bytes arrive (debugpy
// sends "output" events as soon as a client connects), or when it stays open without a word
// for QUIET_MS (an adapter on this machine, e.g. the driver's, speaks only when spoken to;
// the proxy drops a connection it cannot forward within milliseconds). The connected socket
// and the bytes already read are handed to the session (src/adapter.ts), so nothing is
// opened twice. Always loopback: a debug port is never reached over another interface.

import * as net from 'net';

export const LOOPBACK = '127.0.0.1';
const QUIET_MS = 1500;
const RETRY_MS = 300;

export interface Opened {
    socket: net.Socket;
    /** Bytes the adapter already sent (to be parsed first). */
    head: Buffer[];
}

/** One attempt: the opened connection, or null if nothing answers there (yet). */
export function tryOpen(port: number): Promise<Opened | null> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: LOOPBACK, port });
        const head: Buffer[] = [];
        let timer: NodeJS.Timeout | undefined;
        const finish = (ok: boolean) => {
            if (timer) {
                clearTimeout(timer);
            }
            socket.removeAllListeners('data');
            socket.removeAllListeners('error');
            socket.removeAllListeners('close');
            socket.removeAllListeners('connect');
            if (ok) {
                socket.pause();
                // Until the session's adapter takes the socket, an error must not be an
                // uncaught 'error' event (it closes the socket; the adapter sees that).
                socket.on('error', () => undefined);
                resolve({ socket, head });
            } else {
                socket.destroy();
                resolve(null);
            }
        };
        socket.once('connect', () => {
            timer = setTimeout(() => finish(true), QUIET_MS);
        });
        socket.on('data', (chunk: Buffer) => {
            head.push(chunk);
            finish(true);
        });
        socket.once('error', () => finish(false));
        socket.once('close', () => finish(false));
    });
}

/**
 * Try until the adapter answers, ``cancelled()`` says stop (returns null; it is asked
 * before each try and once more when one succeeds), or ``timeoutMs`` passes (returns null;
 * ``Infinity`` for no limit).
 */
export async function openWhenReady(
    port: number,
    cancelled: () => boolean | Promise<boolean>,
    timeoutMs = Infinity,
): Promise<Opened | null> {
    const deadline = Date.now() + timeoutMs;
    while (!(await cancelled()) && Date.now() < deadline) {
        const opened = await tryOpen(port);
        if (opened) {
            if (await cancelled()) {
                opened.socket.destroy();
                return null;
            }
            return opened;
        }
        await new Promise((r) => setTimeout(r, RETRY_MS));
    }
    return null;
}
