import { Text } from '@mantine/core'

/** Placeholder: filled by the settings work. */
export function Users() {
  return <Text>Users</Text>
}
