/**
 * The part of nim-web-sdk-ng the NIM provider uses, as types picked from the SDK's own declarations.
 * The real SDK satisfies it (see load.ts) and so must the test double: a method the SDK renames or
 * retypes fails to compile in both places.
 */
import type { CloudStorageServiceInterface } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/CloudStorageServiceInterface';
import type { MsgLogServiceInterface } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/MsgLogServiceInterface';
import type { MsgServiceInterface } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/MsgServiceInterface';
import type { IMEventInterface, NIMInitializeOptions, NIMInterface, NIMOtherOptions } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/NIMInterface';
import type { SessionServiceInterface } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/SessionServiceInterface';
import type { SystemMessageServiceInterface } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/SystemMessageServiceInterface';

export type NimEvents = Pick<
  IMEventInterface,
  | 'logined'
  | 'kicked'
  | 'willReconnect'
  | 'disconnect'
  | 'msg'
  | 'syncOfflineMsgs'
  | 'syncRoamingMsgs'
  | 'syncdone'
  | 'sessions'
  | 'updateSession'
  | 'msgReceipts'
  | 'sysMsg'
>;

/** The SDK instance is an event emitter at runtime; its class declaration leaves `on`/`off` out. */
export interface NimEmitter {
  on<E extends keyof NimEvents>(event: E, handler: (...args: NimEvents[E]) => void): unknown;
  off<E extends keyof NimEvents>(event: E, handler: (...args: NimEvents[E]) => void): unknown;
}

export type NimSdk = NimEmitter &
  Pick<NIMInterface, 'connect' | 'destroy'> & {
    msg: Pick<
      MsgServiceInterface,
      | 'sendTextMsg'
      | 'sendTipMsg'
      | 'sendGeoLocationMsg'
      | 'sendCustomMsg'
      | 'sendImageMsg'
      | 'sendAudioMsg'
      | 'sendVideoMsg'
      | 'sendFileMsg'
      | 'resendMsg'
      | 'forwardMsg'
      | 'recallMsg'
      | 'sendMsgReceipt'
      | 'sendTeamMsgReceipt'
    >;
    msgLog: Pick<MsgLogServiceInterface, 'getHistoryMsgs'>;
    session: Pick<SessionServiceInterface, 'getSessions' | 'resetSessionUnreadCount'>;
    cloudStorage: Pick<CloudStorageServiceInterface, 'uploadFile'>;
    systemMessage: Pick<SystemMessageServiceInterface, 'sendCustomSysMsg'>;
  };

/** `NIM.getInstance` of whichever build the platform loaded. */
export type CreateNim = (options: NIMInitializeOptions, other?: NIMOtherOptions) => NimSdk;

