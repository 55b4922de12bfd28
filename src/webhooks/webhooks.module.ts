import { Inject, Injectable, Module } from '@nestjs/common';
import { ActorHost } from '../actors/actor-host.service';
import { WEBHOOK } from '../actors/actor-kinds';
import { ActorsModule } from '../actors/actors.module';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Clock } from '../ports/clock.port';
import { webhookEffects } from './webhook-effects';
import { WebhookOutbox } from './webhook-outbox';
import { httpWebhookSender } from './webhook-sender';

/** Hands the host the webhook machine's effects, sending over HTTP. */
@Injectable()
export class WebhookDelivery {
  constructor(host: ActorHost, clock: Clock, @Inject(APP_CONFIG) config: AppConfig) {
    host.handle(WEBHOOK, webhookEffects({ config: config.webhooks, send: httpWebhookSender, clock }));
  }
}

/** Calls back when jobs end: creates each ended job's webhook, and delivers it. */
@Module({
  imports: [ActorsModule],
  providers: [WebhookDelivery, WebhookOutbox],
  exports: [WebhookOutbox],
})
export class WebhooksModule {}
