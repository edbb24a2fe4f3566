/**
 * The static members of the reference SDK's TargetClient (cookie names, auth states), shared by
 * the Node and the edge TargetClient: both extend this class, so the values are defined once.
 */
import { LOCATION_HINT_COOKIE_NAME, TARGET_COOKIE_NAME, visitorCookieName } from "../protocol/cookies";

export abstract class TargetClientStatics {
  static readonly TargetCookieName = TARGET_COOKIE_NAME;
  static readonly TargetLocationHintCookieName = LOCATION_HINT_COOKIE_NAME;
  static readonly AuthState = Object.freeze({ UNKNOWN: 0, AUTHENTICATED: 1, LOGGED_OUT: 2 });
  static getVisitorCookieName(organizationId: string): string {
    return visitorCookieName(organizationId);
  }
}
