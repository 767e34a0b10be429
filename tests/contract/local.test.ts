/** The provider contract for our own server: a real server on 127.0.0.1 with a real SQLite file. */
import { ChatClient } from '../helpers/chat-client';
import { startConsultationServer } from '../helpers/consultation';
import { providerContract } from './provider-contract';

providerContract('local', async () => {
  const server = await startConsultationServer();
  const clients: ChatClient[] = [];
  return {
    async client(account) {
      const c = new ChatClient({ url: server.url, token: await server.auth.issue(account) });
      clients.push(c);
      await c.startSynced();
      return c;
    },
    setOnline: (c, _account, online) => c.setOnline(online),
    async dispose() {
      for (const c of clients) c.stop();
      await server.dispose();
    },
  };
});
