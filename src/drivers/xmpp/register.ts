/**
 * XEP-0077 in-band registration, for targets configured with `register=1`: the runner logs in
 * fresh users every case (names with a per-run prefix, tokens derived from a secret), and an XMPP
 * server only knows the accounts it was given. Before a user's first login the driver opens a
 * stream of its own, asks for the account, and closes; "conflict" (it exists) is fine, and the
 * login that follows checks the password. This provisioning connection is not part of the case
 * and is not recorded in its history. Prosody needs `allow_registration = true` (loopback is on
 * its default registration allowlist, so no throttling).
 */

import { connect, type Socket } from 'node:net';
import { type Element, xml } from '@xmpp/client';
import { ConfigError, ServerRejectedError, TargetUnreachableError, TimeoutError } from '../../errors.js';
import { isUnreachable } from '../connect-failure.js';
import { stanzaError } from './stanzas.js';
import type { XmppTarget } from './target.js';

const NS_REGISTER = 'jabber:iq:register';

/** Creates `user` with `password` unless it exists. Rejects when the server refuses. */
export function registerAccount(
  target: XmppTarget,
  user: string,
  password: string,
  timeoutMs: number,
): Promise<void> {
  const url = new URL(target.url);
  return new Promise<void>((resolve, reject) => {
    const socket: Socket = connect({ host: url.hostname, port: Number(url.port) });
    socket.setEncoding('utf8');
    const parser = new xml.Parser();
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!socket.destroyed) socket.end('</stream:stream>');
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () =>
        finish(
          new TimeoutError(
            `no answer to the registration of ${user} at ${target.url} within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    socket.on('error', (cause: Error & { code?: string }) =>
      finish(
        isUnreachable(cause.code)
          ? new TargetUnreachableError(`cannot connect to ${target.url}: ${cause.message}`, { cause })
          : cause,
      ),
    );
    socket.on('close', () =>
      finish(new ServerRejectedError(`${target.url} closed the registration stream`, 'closed')),
    );
    socket.on('data', (chunk: string) => parser.write(chunk));
    parser.on('element', (el: Element) => {
      if (el.name === 'stream:features') {
        if (!el.getChild('register', 'http://jabber.org/features/iq-register')) {
          finish(
            new ConfigError(
              `${target.url} offers no in-band registration: drop register=1 and create the accounts, ` +
                'or enable it (Prosody: allow_registration = true)',
            ),
          );
          return;
        }
        const query = xml(
          'query',
          { xmlns: NS_REGISTER },
          xml('username', {}, user),
          xml('password', {}, password),
        );
        socket.write(xml('iq', { type: 'set', id: 'imspec-register' }, query).toString());
      } else if (el.name === 'iq' && el.attrs.id === 'imspec-register') {
        if (el.attrs.type === 'result') return finish();
        const { condition, text } = stanzaError(el);
        // The account is there already: the login that follows tells whether the password fits.
        if (condition === 'conflict') return finish();
        finish(
          new ServerRejectedError(
            `${target.url} refused to register ${user}: ${condition}${text ? ` (${text})` : ''}`,
            condition,
          ),
        );
      } else if (el.name === 'stream:error') {
        finish(
          new ServerRejectedError(
            `${target.url} ended the registration stream: ${el.toString()}`,
            'stream-error',
          ),
        );
      }
    });
    socket.write(
      `<?xml version='1.0'?><stream:stream to='${target.domain}' xmlns='jabber:client' ` +
        `xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`,
    );
  });
}
