// Meta's Graph API (`/v21.0/{node-id}/{edge}`), shared by Facebook, Instagram and WhatsApp Cloud:
// what an id names decides which platform module answers.
import type { PlatformErrors, PlatformRoute, Sim } from './context';
import { facebookRoute } from './facebook';
import type { Reply, SimRequest } from './http';
import { instagramRoute } from './instagram';
import { graphErrors, invalidParameter, unsupported } from './meta';
import type { Platform } from './state';
import { whatsappRoute } from './whatsapp';

const GRAPH_PATH = /^\/v\d+\.\d+\/([^/]+)(?:\/([^/]+))?\/?$/;

/** The Graph slice: resolves `/vNN.N/{id}[/{edge}]` to the module of the platform that owns the id. */
export function graphApi(sim: Sim): {
  route(req: SimRequest): PlatformRoute | Reply;
  errors: Record<Exclude<Platform, 'x'>, PlatformErrors>;
} {
  const now = () => sim.clock.now();
  const errors = {
    facebook: graphErrors('facebook', now),
    instagram: graphErrors('instagram', now),
    whatsapp: graphErrors('whatsapp', now),
  };
  function route(req: SimRequest): PlatformRoute | Reply {
    const match = GRAPH_PATH.exec(req.path);
    if (!match) return invalidParameter('Unknown path components', 2500);
    const [, id, edge] = match;
    const node = sim.state.graphNode(id);
    if (!node) return unsupported(req, id);
    switch (node.kind) {
      case 'page':
      case 'pagePost':
        return facebookRoute(sim, req, node, edge);
      case 'igUser':
      case 'igContainer':
      case 'igMedia':
        return instagramRoute(sim, req, node, edge);
      case 'waNumber':
        return whatsappRoute(sim, req, node.number, edge);
    }
  }
  return { route, errors };
}
