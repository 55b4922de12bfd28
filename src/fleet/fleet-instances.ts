import { Injectable } from '@nestjs/common';

/**
 * The instance each of this fleet's workers runs on, by worker id: set when a launch returns
 * and, after a restart, from the provider's list of the fleet's instances. What a worker reports
 * about itself is checked against it.
 */
@Injectable()
export class FleetInstances extends Map<string, string> {
  /** Whether `instanceId` is the instance this fleet launched for `workerId`. */
  owns(workerId: string, instanceId: string): boolean {
    return this.get(workerId) === instanceId;
  }
}
