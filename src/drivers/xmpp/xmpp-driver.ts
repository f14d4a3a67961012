/**
 * The XMPP driver (@xmpp/client): certifies an XMPP server such as Prosody as an IM transport.
 * Each user/device is one client stream, user@domain/device, with XEP-0198 stream management
 * (its <a h/> is the msg:A; a stream the network broke is resumed on the next login), XEP-0184
 * receipts (sent when the bot acks, arriving at the sender as ack:N), initial presence so
 * mod_offline hands over what was stored for an offline user, XEP-0313 MAM as `sync`, and
 * XEP-0359 ids (origin-id carries the cmid; the server's stanza-id keys the archive).
 *
 * Capabilities (docs/protocol.md section 10), declared honestly: only `delivered-receipt` — the
 * receiver's device returns a XEP-0184 receipt once the bot has committed and acked the message,
 * and the server routes it to the sender (RCPT-2, RCPT-3). No `dedup` (a resent stanza is a new
 * message), no `contiguous-seq`/`prev-seq` (no inbox seq), no `server-repush` (the server resends
 * only on resumption), no `standin-receipt` (offline storage tells the sender nothing), no
 * `cumulative-ack`, no `paged-sync`/`backward-sync` (MAM pages by archive id, and the driver's
 * seq mapping cannot promise SYNC-1's contiguity), no `multi-device` (one offline store per user,
 * not one cursor per device).
 */

import { ConfigError, ProvisioningError, TargetUnreachableError } from '../../errors.js';
import type { ActorId, History } from '../../history/events.js';
import type { Cap } from '../../protocol/frames.js';
import { DEFAULT_TIMEOUT_MS } from '../deadline.js';
import type { ConnectOptions, Driver, DriverFactoryOptions, DriverSession } from '../driver.js';
import { XmppActorStates } from './actor-state.js';
import { registerAccount } from './register.js';
import { resolveXmppTarget, type XmppTarget, type XmppTargetOptions } from './target.js';
import { XmppSession } from './xmpp-session.js';

export const XMPP_CAPS: readonly Cap[] = Object.freeze(['delivered-receipt'] as Cap[]);

export type XmppDriverOptions = XmppTargetOptions & Pick<DriverFactoryOptions, 'setupTarget'>;

export class XmppDriver implements Driver {
  readonly name = 'xmpp';
  readonly caps: readonly Cap[] = XMPP_CAPS;
  readonly target: XmppTarget;
  /** Where registrations go: the server itself, never a fault proxy. */
  private readonly setupTarget: XmppTarget;
  private readonly states = new XmppActorStates();
  /**
   * Registrations of this driver, by user (target option `register`): one per user, however many
   * devices log in at once. Concurrent in-band registration of one account is what some servers
   * handle worst (measured on one: the account's later logins failed), so it never happens.
   */
  private readonly registered = new Map<string, Promise<void>>();

  /** Throws ConfigError for a bad target URL or option. */
  constructor(options: XmppDriverOptions) {
    this.target = resolveXmppTarget(options);
    this.setupTarget = options.setupTarget
      ? resolveXmppTarget({ ...options, target: options.setupTarget })
      : this.target;
  }

  /**
   * Logs `options.user`@domain in as resource `options.device` (password = `options.token`),
   * registering the account first when the target says `register=1`.
   * Rejects with AuthError, TargetUnreachableError, TimeoutError or ConnectionClosedError; the
   * failed connection is closed and recorded all the same.
   */
  async connect(actor: ActorId, options: ConnectOptions, history: History): Promise<DriverSession> {
    refuseFoldedName(options.user);
    await this.provision(options, options.timeoutMs);
    const state = this.states.get(history, actor, options.user);
    const session = new XmppSession(
      actor,
      options.user,
      options.device,
      this.target,
      state,
      history,
      options.token,
    );
    await session.login(options, this.caps);
    return session;
  }

  /**
   * Registers `user` (XEP-0077) when the target says `register=1`, once per user: "conflict" (the
   * account exists) counts as done, and the login that follows checks the password. Rejects with
   * ProvisioningError carrying the server's answer; a failed registration may be retried.
   */
  provision(account: { user: string; token: string }, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    if (!this.target.register) return Promise.resolve();
    let done = this.registered.get(account.user);
    if (done === undefined) {
      done = registerAccount(this.setupTarget, account.user, account.token, timeoutMs).catch(
        (cause: Error) => {
          this.registered.delete(account.user);
          // A server that offers no registration at all is configuration, said as such; one that
          // cannot be reached is unreachable, as connect() promises, not a refused registration.
          if (cause instanceof ConfigError || cause instanceof TargetUnreachableError) throw cause;
          throw new ProvisioningError(
            `in-band registration (XEP-0077) of ${account.user}@${this.target.domain} at ${this.target.url} failed: ${cause.message}`,
            account.user,
            { cause },
          );
        },
      );
      this.registered.set(account.user, done);
    }
    return done;
  }
}

/**
 * XMPP servers case-fold a JID's local part (nodeprep, RFC 7622): "Bob" logs in as "bob", and the
 * messages to and from that account carry "bob", a user the case does not know — every push would
 * be read as someone else's and the run would report them lost. Refused before any traffic, so
 * the kit says why instead of blaming the server.
 */
function refuseFoldedName(user: string): void {
  const folded = user.toLowerCase();
  if (folded !== user)
    throw new ConfigError(
      `user "${user}" has capitals: XMPP servers case-fold user names (it would log in as "${folded}"), so the xmpp driver needs lowercase user names`,
    );
}
