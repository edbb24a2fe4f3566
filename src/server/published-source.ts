/**
 * An ArtifactSource for `odd serve`'s own TargetClient: the artifact this service publishes for its
 * client code once that tenant has activities, otherwise a fallback (the bundled sample). The
 * publisher's "published" events drive the reloads, so a change authored through the Admin API
 * reaches the service's own decisions right after it is published.
 */
import type { AdminService } from "../admin/service";
import type { ClientOptions } from "../client";
import type { Publisher } from "../publish/publisher";

type ArtifactSource = NonNullable<ClientOptions["artifactSource"]>;
type ArtifactLoadResult = Awaited<ReturnType<ArtifactSource["load"]>>;

export interface PublishedSourceOptions {
  service: AdminService;
  publisher: Publisher;
  client: string;
  environment?: string;
  /** The artifact JSON text to serve while the tenant has no activities. */
  fallback: () => Promise<string>;
}

const FALLBACK_ETAG = "fallback";

export function createPublishedArtifactSource(options: PublishedSourceOptions): ArtifactSource {
  const { service, publisher, client } = options;
  const environment = options.environment ?? "production";
  return {
    location: `published:${client}/${environment}`,
    async load(ctx): Promise<ArtifactLoadResult> {
      const published = (await service.hasActivities(client)) ? await publisher.artifact(client, environment) : undefined;
      if (published) {
        if (ctx.etag === published.hash) return { status: "unchanged" };
        return { status: "updated", body: published.json, format: "json", etag: published.hash };
      }
      if (ctx.etag === FALLBACK_ETAG) return { status: "unchanged" };
      return { status: "updated", body: await options.fallback(), format: "json", etag: FALLBACK_ETAG };
    },
    watch(onChange) {
      return publisher.onPublished((report) => {
        if (report.tenant === client) onChange();
      });
    },
  };
}
