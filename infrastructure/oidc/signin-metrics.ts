import type { SignInResultLabel } from '../../application/ports/telemetry.js';
import type { FinishOutcome, PasswordOutcome } from './interactions-signin.js';

/** A code step's answer as a metrics label (null: nothing was checked). */
export function codeResult(outcome: FinishOutcome): SignInResultLabel | null {
  if (outcome.ok) return 'success';
  switch (outcome.reason) {
    case 'wrong_code':
      return 'wrong_code';
    case 'expired':
      return 'expired_code';
    case 'account_locked':
    case 'locked':
      return 'locked';
    case 'no_step':
      return null;
    default:
      return 'limited';
  }
}

/** A password step's answer as a metrics label (null: nothing was checked). */
export function passwordResult(outcome: PasswordOutcome): SignInResultLabel | null {
  if (outcome.ok) return 'success';
  switch (outcome.reason) {
    case 'wrong_password':
      return 'wrong_password';
    case 'account_locked':
      return 'locked';
    case 'too_many_attempts':
      return 'limited';
    case 'no_step':
      return null;
  }
}
