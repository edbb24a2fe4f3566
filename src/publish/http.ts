/**
 * Serving published artifacts where the SDKs look for them (public, like Target's CDN):
 * `/{client}/{environment}/v1/rules.json`, `/{client}/{environment}/v1/{propertyToken}/rules.json`
 * and the `rules.bin` siblings. `ETag` is the content hash; `If-None-Match` → 304.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { PublishedArtifact } from "./compiler/model";
import type { Publisher } from "./publisher";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

function matchesEtag(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const list = (Array.isArray(header) ? header.join(",") : header).split(",").map((t) => t.trim().replace(/^W\//, ""));
  return list.includes("*") || list.includes(etag);
}

/** Sends rules.json or rules.bin with its ETag, or 304 when the client has it already. */
export function sendArtifact(request: FastifyRequest, reply: FastifyReply, artifact: PublishedArtifact, format: "json" | "bin"): FastifyReply {
  const etag = `"${format === "json" ? artifact.hash : artifact.binHash}"`;
  reply.header("etag", etag).header("cache-control", "no-cache").header("last-modified", new Date(artifact.generatedAt).toUTCString());
  if (matchesEtag(request.headers["if-none-match"], etag)) return reply.code(304).send();
  if (format === "bin") return reply.type("application/octet-stream").send(Buffer.from(artifact.bin, "base64"));
  return reply.type("application/json; charset=utf-8").send(artifact.json);
}

export interface ArtifactRoutesOptions {
  publisher: Publisher;
}

/** The public artifact paths (no token). Unknown tenant, environment or token → 404. */
export async function artifactRoutes(app: FastifyInstance, options: ArtifactRoutesOptions): Promise<void> {
  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const { client, environment, token, file } = request.params as Record<string, string | undefined>;
    const format = file === "rules.bin" ? "bin" : file === "rules.json" ? "json" : undefined;
    const valid = format && NAME.test(client ?? "") && NAME.test(environment ?? "") && (token === undefined || NAME.test(token));
    const artifact = valid ? await options.publisher.artifact(client!, environment!, token ?? "") : undefined;
    if (!artifact || !format) {
      return reply.code(404).type("application/json; charset=utf-8").send({ status: 404, code: "ODE_ERR_ADMIN_NOT_FOUND", message: "No published artifact at this path" });
    }
    return sendArtifact(request, reply, artifact, format);
  };
  app.get("/:client/:environment/v1/:file", serve);
  app.get("/:client/:environment/v1/:token/:file", serve);
}
