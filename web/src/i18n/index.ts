import { ru } from './ru'

/** The app's messages. One language today; the catalogue's type is what another must provide. */
export const m = ru
export type { Messages } from './ru'
