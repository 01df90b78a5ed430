import type { ServerResponse } from 'node:http';
import { sendJson, startStub, type RecordedRequest, type Stub, type StubHandler } from '../helpers/stub-server.js';

export interface FakeRepo {
  fullName: string;
  defaultBranch: string;
}

/**
 * A small GitHub REST stand-in on 127.0.0.1: repos it knows answer 200, others 404;
 * hooks are created with increasing ids and deleted with 204. Tests change the
 * `*Status` fields to make GitHub refuse, or replace the handler with `stub.handle`.
 */
export interface FakeGitHub {
  stub: Stub;
  url: string;
  repos: FakeRepo[];
  /** Status for POST /repos/{o}/{r}/hooks (201 creates a hook). */
  hookStatus: number;
  /** Status for DELETE /repos/{o}/{r}/hooks/{id} (204 deletes it). */
  deleteStatus: number;
  nextHookId: number;
  /** The fake's own handler, for tests that wrap it (e.g. to hold answers back). */
  handler: StubHandler;
  /** `METHOD /path` of every request received, in order. */
  calls: () => string[];
  close: () => Promise<void>;
}

const REPO_PATH = /^\/repos\/([^/]+)\/([^/?]+)(\/hooks(?:\/(\d+))?)?(?:\?.*)?$/;

export async function startGitHub(repos: FakeRepo[] = [{ fullName: 'acme/widget', defaultBranch: 'trunk' }]): Promise<FakeGitHub> {
  const fake = { repos, hookStatus: 201, deleteStatus: 204, nextHookId: 9001 } as FakeGitHub;
  const handler = (req: RecordedRequest, res: ServerResponse): void => {
    const m = REPO_PATH.exec(req.path);
    const repo = m && fake.repos.find((r) => r.fullName.toLowerCase() === `${m[1]}/${m[2]}`.toLowerCase());
    if (!m || !repo) return sendJson(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    if (!m[3] && req.method === 'GET') {
      return sendJson(res, 200, { id: 1, full_name: repo.fullName, name: repo.fullName.split('/')[1], default_branch: repo.defaultBranch, private: false });
    }
    if (m[3] && !m[4] && req.method === 'POST') {
      if (fake.hookStatus !== 201) return sendJson(res, fake.hookStatus, { message: 'Validation Failed' });
      return sendJson(res, 201, { id: fake.nextHookId++, type: 'Repository', name: 'web', active: true });
    }
    if (m[4] && req.method === 'DELETE') {
      if (fake.deleteStatus !== 204) return sendJson(res, fake.deleteStatus, { message: 'Not Found' });
      res.writeHead(204).end();
      return;
    }
    sendJson(res, 404, { message: 'Not Found' });
  };
  const stub = await startStub(handler);
  return Object.assign(fake, {
    handler,
    stub,
    url: stub.url,
    calls: () => stub.requests.map((r) => `${r.method} ${r.path}`),
    close: () => stub.close(),
  });
}
