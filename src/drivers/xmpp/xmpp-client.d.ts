/**
 * The part of @xmpp/client 0.14 (xmpp.js, untyped JavaScript) that the xmpp driver uses.
 * Element is ltx's Element; the client is an EventEmitter with xmpp.js's plugins attached.
 */
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';

  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    append(...nodes: (Element | string)[]): Element;
    toString(): string;
  }

  /** xmpp.js's streaming parser: 'start' (stream header), 'element' (each top-level child), 'end'. */
  export interface XmlParser extends EventEmitter {
    write(data: string): void;
  }

  export interface Xml {
    (
      name: string,
      attrs?: Record<string, string | number | undefined> | null,
      ...children: (Element | string)[]
    ): Element;
    Parser: new () => XmlParser;
  }

  export const xml: Xml;

  export interface QueueItem {
    stanza: Element;
    stamp: string;
  }

  /** XEP-0198 state (@xmpp/stream-management). Emits 'ack' and 'fail' with the stanza, 'resumed'. */
  export interface StreamManagement extends EventEmitter {
    enabled: boolean;
    enableSent: boolean;
    id: string;
    inbound: number;
    outbound: number;
    outbound_q: QueueItem[];
    max: number | null;
    /** ms without an answer to <r/> before xmpp.js drops the connection. */
    timeout: number;
    requestAckInterval: number;
    requestAckDebounce: number;
  }

  export interface Jid {
    local: string;
    domain: string;
    resource: string;
    toString(): string;
    bare(): Jid;
  }

  export interface Client extends EventEmitter {
    status: string;
    socket: Socket | null;
    jid: Jid | null;
    streamManagement: StreamManagement;
    reconnect: { stop(): void };
    start(): Promise<unknown>;
    /** Opens the socket (start's first half). */
    connect(service: string): Promise<unknown>;
    /** Opens the stream on the open socket (start's second half). */
    open(options: { domain: string; lang?: string }): Promise<unknown>;
    stop(): Promise<unknown>;
    send(element: Element): Promise<void>;
  }

  export type Authenticate = (
    credentials: { username: string; password: string },
    mechanism: string,
  ) => Promise<void>;

  export interface ClientOptions {
    service: string;
    domain?: string;
    resource?: string;
    username?: string;
    password?: string;
    credentials?: (authenticate: Authenticate, mechanisms: string[]) => Promise<void>;
    timeout?: number;
  }

  export function client(options: ClientOptions): Client;
  export function jid(value: string): Jid;
}
