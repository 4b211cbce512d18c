import { Text } from '@mantine/core'

/** Placeholder: filled by the settings work. */
export function CustomFields() {
  return <Text>CustomFields</Text>
}
