import { createHash, timingSafeEqual } from 'node:crypto';
import type { Settings } from '@wharf/runtime';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * The REST API's one account. Only digests are kept: comparing fixed-length digests with timingSafeEqual
 * takes the same time however much of a guess is right, and does not reveal the password's length.
 */
export class AdminCredentials {
  private readonly username: Buffer;
  private readonly password: Buffer;

  constructor(username: string, password: string) {
    this.username = digest(username);
    this.password = digest(password);
  }

  static fromSettings(settings: Settings): AdminCredentials {
    if (!settings.adminPassword) {
      // runProcess validates declared secrets first; reaching this means the process forgot to declare it.
      throw new Error(
        "the gateway needs WHARF_ADMIN_PASSWORD: add it to the process's requiredSecrets so startup checks it",
      );
    }
    return new AdminCredentials(settings.adminUsername, settings.adminPassword.reveal());
  }

  matches(username: string, password: string): boolean {
    // Both comparisons always run, so timing does not tell a wrong user from a wrong password.
    const userMatches = timingSafeEqual(digest(username), this.username);
    const passwordMatches = timingSafeEqual(digest(password), this.password);
    return userMatches && passwordMatches;
  }
}
