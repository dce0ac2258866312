import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { MessageDeliveryError } from '../../../application/ports/message-sender.js';
import {
  HttpEmailSender,
  HttpSmsSender,
  type HttpGatewayOptions,
} from '../../../infrastructure/delivery/http-gateway.js';

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

/** A gateway on 127.0.0.1 that answers each request with the next scripted behaviour. */
class Receiver {
  readonly received: Received[] = [];
  private server!: Server;
  url = '';

  constructor(private readonly script: ((res: ServerResponse) => void)[]) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        const next = this.script[this.received.length - 1] ?? this.script[this.script.length - 1];
        next?.(res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/messages`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const status =
  (code: number) =>
  (res: ServerResponse): void => {
    res.writeHead(code, { 'content-type': 'application/json' }).end('{"echo":"Your code is 123456"}');
  };
const hang = (): void => undefined;

async function failure(promise: Promise<unknown>): Promise<MessageDeliveryError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(MessageDeliveryError);
    return err as MessageDeliveryError;
  }
  throw new Error('expected delivery to fail');
}

describe('HTTP gateway senders', () => {
  let receiver: Receiver | undefined;
  const waits: number[] = [];
  const options = (extra: Partial<HttpGatewayOptions> = {}): HttpGatewayOptions => ({
    url: receiver?.url ?? '',
    token: 'gateway-token-123',
    backoffMs: 5,
    sleep: async (ms) => {
      waits.push(ms);
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
    ...extra,
  });

  beforeEach(() => {
    waits.length = 0;
  });
  afterEach(async () => {
    await receiver?.stop();
    receiver = undefined;
  });

  it('posts an SMS as JSON with the bearer token', async () => {
    receiver = await new Receiver([status(202)]).start();
    await new HttpSmsSender(options()).send({ to: '+4741234567', text: 'Your Tessera code is 123456' });
    expect(receiver.received).to.have.length(1);
    const [request] = receiver.received;
    expect(request?.method).to.equal('POST');
    expect(request?.path).to.equal('/v1/messages');
    expect(request?.headers.authorization).to.equal('Bearer gateway-token-123');
    expect(request?.headers['content-type']).to.equal('application/json');
    expect(request?.body).to.deep.equal({ to: '+4741234567', text: 'Your Tessera code is 123456' });
  });

  it('posts an email with subject, text and html', async () => {
    receiver = await new Receiver([status(200)]).start();
    const sender = new HttpEmailSender(options());
    await sender.send({ to: 'kari@example.no', subject: 'Code', text: 'plain', html: '<p>rich</p>' });
    await sender.send({ to: 'kari@example.no', subject: 'Code', text: 'plain' });
    expect(receiver.received.map((r) => r.body)).to.deep.equal([
      { to: 'kari@example.no', subject: 'Code', text: 'plain', html: '<p>rich</p>' },
      { to: 'kari@example.no', subject: 'Code', text: 'plain' },
    ]);
  });

  it('retries 5xx answers with a doubling wait, then succeeds', async () => {
    receiver = await new Receiver([status(503), status(500), status(200)]).start();
    await new HttpSmsSender(options()).send({ to: '+4741234567', text: 'hello' });
    expect(receiver.received).to.have.length(3);
    expect(waits).to.deep.equal([5, 10]);
  });

  it('gives up after the bounded retries with a clear, retryable error', async () => {
    receiver = await new Receiver([status(502)]).start();
    const error = await failure(
      new HttpSmsSender(options({ retries: 3 })).send({ to: '+4741234567', text: 'Your code is 654321' }),
    );
    expect(receiver.received).to.have.length(4);
    expect(error.retryable).to.equal(true);
    expect(error.status).to.equal(502);
    expect(error.channel).to.equal('sms');
    expect(error.message).to.equal(
      `The sms gateway at ${receiver.url} failed with HTTP 502 after 4 attempts.`,
    );
    expect(error.message).not.to.include('gateway-token-123').and.not.include('654321');
  });

  it('does not retry a refusal and says what to check', async () => {
    receiver = await new Receiver([status(401)]).start();
    const error = await failure(
      new HttpEmailSender(options()).send({ to: 'a@b.no', subject: 's', text: 't' }),
    );
    expect(receiver.received).to.have.length(1);
    expect(error.retryable).to.equal(false);
    expect(error.status).to.equal(401);
    expect(error.message).to.match(
      /email gateway .* refused the message with HTTP 401 \(check the gateway token\)\.$/,
    );
  });

  it('times out a gateway that does not answer, and retries', async () => {
    receiver = await new Receiver([hang, status(200)]).start();
    await new HttpSmsSender(options({ timeoutMs: 100 })).send({ to: '+4741234567', text: 'hello' });
    expect(receiver.received).to.have.length(2);

    const stuck = await new Receiver([hang]).start();
    try {
      const error = await failure(
        new HttpSmsSender({ ...options({ timeoutMs: 50, retries: 1 }), url: stuck.url }).send({
          to: '+4741234567',
          text: 'hello',
        }),
      );
      expect(error.message).to.match(/did not answer within 50 ms after 2 attempts/);
    } finally {
      await stuck.stop();
    }
  });

  it('retries network errors', async () => {
    receiver = await new Receiver([status(200)]).start();
    const url = receiver.url;
    await receiver.stop();
    receiver = undefined;
    const error = await failure(
      new HttpSmsSender({ ...options({ retries: 1 }), url }).send({ to: '+47', text: 'x' }),
    );
    expect(error.retryable).to.equal(true);
    expect(error.status).to.equal(undefined);
    expect(error.message).to.match(/could not be reached after 2 attempts/);
    expect(waits).to.deep.equal([5]);
  });

  it('refuses bad configuration when constructed', () => {
    expect(() => new HttpSmsSender({ url: 'not a url', token: 't' })).to.throw(TypeError, /not a valid URL/);
    expect(() => new HttpSmsSender({ url: 'ftp://x.example/', token: 't' })).to.throw(
      TypeError,
      /http or https/,
    );
    expect(() => new HttpSmsSender({ url: 'https://x.example/', token: ' ' })).to.throw(TypeError, /token/);
    expect(() => new HttpSmsSender({ url: 'https://x.example/', token: 't', timeoutMs: 0 })).to.throw(
      RangeError,
    );
  });
});
