import { Text } from '@mantine/core'

/** Placeholder: filled by the settings work. */
export function Branches() {
  return <Text>Branches</Text>
}
