import { Type } from 'typebox';
import { Password, Pin, UserSchema } from '../users/users.schemas.ts';

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Password,
    otp_code: Type.Optional(
      Type.String({ pattern: '^[0-9]{6}$', description: 'the 6-digit code from an authenticator app' }),
    ),
  },
  { additionalProperties: false },
);

export const PinLoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), pin: Pin },
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
});

export const MeResponse = Type.Object({ user: UserSchema });

export const ChangePasswordBody = Type.Object(
  { current_password: Password, new_password: Password },
  { additionalProperties: false },
);
