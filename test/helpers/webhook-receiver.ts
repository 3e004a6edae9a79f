// A local Slack-style webhook receiver for alert tests: collects the `text` of every POST, answers 200.
import { createServer } from 'node:http';

export interface WebhookReceiver {
  url: string;
  /** Every message's text, in arrival order. */
  texts: string[];
  close(): Promise<void>;
}

/** Listen on 127.0.0.1 (a free port); `onText` sees each message as it arrives. */
export async function startWebhookReceiver(path = '/hook', onText?: (text: string) => void): Promise<WebhookReceiver> {
  const texts: string[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => { data += c.toString('utf8'); });
    req.on('end', () => {
      const text = String((JSON.parse(data) as { text: string }).text);
      texts.push(text);
      onText?.(text);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}${path}`,
    texts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
