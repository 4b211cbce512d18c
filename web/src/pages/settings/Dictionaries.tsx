import { Text } from '@mantine/core'

/** Placeholder: filled by the settings work. */
export function Dictionaries() {
  return <Text>Dictionaries</Text>
}
