import type { FastifyReply } from 'fastify';
import { flowsessionEntity, type EntityDef } from '../../shared/records/index.js';
import type { Repositories } from '../store/store.js';
import { notFound } from './api-error.js';

/**
 * `GET <set>(<id>)/<column>/$value`, Dataverse's way of downloading a file column, for flowhost's one file:
 * `flowsessions(<id>)/screenshot/$value`, the PNG of the session's display when it failed, timed out or was
 * cancelled (docs/desktop.md). 404 (Dataverse-shaped) when the session or its picture does not exist.
 */
export async function getFileColumn(store: Repositories, entity: EntityDef, id: string, column: string, reply: FastifyReply): Promise<FastifyReply> {
  if (entity !== flowsessionEntity || column !== 'screenshot') {
    throw notFound(`${entity.set} has no file column '${column.slice(0, 100)}' (the one file column is flowsessions' screenshot)`, 'NoResource');
  }
  const session = await store.sessions.get(id);
  if (!session) throw notFound(`flowsession ${id} does not exist`);
  const shot = await store.screenshots.forSession(session.flowsessionid);
  if (!shot) throw notFound(`flowsession ${id} has no screenshot (its run did not fail, time out or get cancelled on a display, or its agent did not send one)`);
  return reply
    .code(200)
    .header('content-type', 'image/png')
    .header('x-ms-file-name', `screenshot-${session.flowsessionid}.png`)
    .header('x-ms-file-size', String(shot.png.length))
    .header('last-modified', new Date(shot.takenon).toUTCString())
    .send(shot.png);
}
