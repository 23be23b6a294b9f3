import { Type } from 'typebox';
import { OtpCode, RecoveryCode } from '../security/mfa/mfa.schemas.ts';
import { Password, Pin, UserSchema } from '../users/users.schemas.ts';

const secondFactor = {
  otp_code: Type.Optional(OtpCode),
  recovery_code: Type.Optional(RecoveryCode),
};

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Password,
    ...secondFactor,
  },
  { additionalProperties: false },
);

export const PinLoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), pin: Pin, ...secondFactor },
  { additionalProperties: false },
);

export const LoginResponse = Type.Object({
  access_token: Type.String({ description: 'Send as `Authorization: Bearer <token>`' }),
  token_type: Type.Literal('bearer'),
  expires_at: Type.String({ format: 'date-time', description: 'Absolute end of the session' }),
  csrf_token: Type.String({
    description: 'For cookie-authenticated browsers: send as X-CSRF-Token on every state-changing request',
  }),
  user: UserSchema,
  mfa_enrolment_required: Type.Boolean({
    description: 'The role requires MFA and it is off: until it is set up, only /api/auth/mfa* answer',
  }),
});

export const MeResponse = Type.Object({
  user: UserSchema,
  mfa_enrolment_required: Type.Boolean(),
});

export const ChangePasswordBody = Type.Object(
  { current_password: Password, new_password: Password },
  { additionalProperties: false },
);
